package token

// IDLength is the length of every token the store generates ("hvs." and
// its random part). A one-time pad for an encoded root token must be this
// long.
const IDLength = len(tokenPrefix) + tokenChars
