// Command broken is a plugin that dies at start, as a bad release would.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "broken fixture: refusing to start")
	os.Exit(3)
}
