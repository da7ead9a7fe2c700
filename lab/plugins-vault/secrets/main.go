// Command secrets is the lab's secrets-engine plugin.
package main

import (
	"vaultfixtureplugins/fixture"

	"github.com/hashicorp/vault/sdk/logical"
)

func main() { fixture.Serve(logical.TypeLogical) }
