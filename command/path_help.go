package command

// path-help: the help of a path, from the server's own path tables.

func pathHelpCommands() []spec {
	return []spec{
		{name: "path-help", synopsis: "Retrieve API help for paths", run: runPathHelp, help: `Usage: vault path-help [options] PATH

  Prints the server's help for PATH: the pattern of the mount's path table
  that serves it, its operations and parameters, and what it is for.

      $ vault path-help secret/data/my-app
`},
	}
}

func runPathHelp(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	client, pos, code, ok := b.connect(args, 1, 1)
	if !ok {
		return code
	}
	h, err := client.HelpWithContext(b.ctx, pos[0])
	if err != nil {
		return b.remote("Error retrieving help", err)
	}
	p := b.out()
	if p.format != "table" {
		return p.encode(h)
	}
	p.linef("%s", h.Help)
	return exitOK
}
