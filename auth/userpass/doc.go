// Package userpass is the userpass auth method: users with a bcrypt-hashed
// password and token_* properties (auth/<mount>/users/<name>), and a login
// (auth/<mount>/login/<name>) whose failure takes as long for a missing
// user as for a wrong password.
package userpass
