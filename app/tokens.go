package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"banlie/models"
	"banlie/store"
)

const tokenUsage = `Manages access tokens.

  banlie token create --role viewer|operator|admin --name NAME   prints the new token, alone, on stdout
  banlie token list                                               names, roles and use; never the tokens
  banlie token revoke NAME                                        the token stops working at once

Only a hash of each token is stored: a lost token cannot be shown again; revoke it and create another.`

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, tokenUsage)
		if len(args) == 0 {
			return errors.New("token: say create, list or revoke")
		}
		return ErrHelp
	}
	var cfg Config
	var role, name string
	sub := args[0]
	fs := newFlagSet("token "+sub, tokenUsage, stderr, &cfg)
	switch sub {
	case "create":
		fs.StringVar(&role, "role", "", "viewer, operator or admin")
		fs.StringVar(&name, "name", "", "a unique name, e.g. the person or dashboard that uses it")
	case "list":
	case "revoke":
	default:
		fmt.Fprintln(stderr, tokenUsage)
		return fmt.Errorf("token: unknown subcommand %q", sub)
	}
	rest := args[1:]
	// revoke takes the name before or after its flags.
	if sub == "revoke" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if sub == "revoke" {
		if name == "" && fs.NArg() == 1 {
			name = fs.Arg(0)
		} else if name == "" || fs.NArg() > 0 {
			return errors.New("token revoke: name the token: banlie token revoke NAME")
		}
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(st.DB())
	wr := st.WriteBy(models.Actor{Name: "cli"}, nil)
	switch sub {
	case "create":
		secret, _, err := st.CreateToken(ctx, wr, name, role)
		if err != nil {
			return describe(err)
		}
		_, err = fmt.Fprintln(stdout, secret)
		return err
	case "revoke":
		return describe(st.RevokeToken(ctx, wr, name))
	}
	toks, err := st.ListTokens(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tROLE\tPREFIX\tCREATED\tLAST USED\tREVOKED")
	at := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	for _, t := range toks {
		fmt.Fprintf(w, "%s\t%s\t%s…\t%s\t%s\t%s\n", t.Name, t.Role, t.Prefix, t.CreatedAt.Format(time.RFC3339), at(t.LastUsedAt), at(t.RevokedAt))
	}
	return w.Flush()
}

// describe turns a coded error into a message for the terminal.
func describe(err error) error {
	var e *models.Error
	if errors.As(err, &e) {
		if len(e.Fields) == 0 {
			return errors.New(e.Message)
		}
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + " " + f.Message
		}
		return errors.New(strings.Join(parts, "; "))
	}
	return err
}
