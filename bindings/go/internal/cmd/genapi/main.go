// Command genapi writes the binding's zapi.go from include/repoll.json:
//
//	go run ./internal/cmd/genapi [path/to/repoll.json [out.go]]
//
// `go generate` in bindings/go runs it with the build tree's JSON.
package main

import (
	"fmt"
	"os"

	"repoll/internal/apigen"
)

func main() {
	in, out := "../../include/repoll.json", "zapi.go"
	if len(os.Args) > 1 {
		in = os.Args[1]
	}
	if len(os.Args) > 2 {
		out = os.Args[2]
	}
	text, err := os.ReadFile(in)
	if err == nil {
		text, err = apigen.Generate(text, "repoll", "include/repoll.json")
	}
	if err == nil {
		err = os.WriteFile(out, text, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genapi:", err)
		os.Exit(1)
	}
}
