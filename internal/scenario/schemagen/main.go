// Command schemagen writes scenarios/scenario.schema.json from the scenario
// Go types; `go generate ./internal/scenario` runs it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/psbench/psbench/internal/scenario"
)

func main() {
	out := flag.String("o", "../../scenarios/scenario.schema.json", "output file")
	src := flag.String("src", ".", "the internal/scenario source directory")
	flag.Parse()
	b, err := scenario.JSONSchema(*src)
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}
