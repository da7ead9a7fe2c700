// Command secrets is the lab's secrets-engine plugin.
package main

import (
	"fixtureplugins/fixture"

	"github.com/openbao/openbao/sdk/v2/logical"
)

func main() { fixture.Serve(logical.TypeLogical) }
