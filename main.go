// Command banlie tracks China–Europe Railway Express trains and the
// multimodal freight around them. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"banlie/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
