// Command auth is the lab's auth-method plugin.
package main

import (
	"vaultfixtureplugins/fixture"

	"github.com/hashicorp/vault/sdk/logical"
)

func main() { fixture.Serve(logical.TypeCredential) }
