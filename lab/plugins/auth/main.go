// Command auth is the lab's auth-method plugin.
package main

import (
	"fixtureplugins/fixture"

	"github.com/openbao/openbao/sdk/v2/logical"
)

func main() { fixture.Serve(logical.TypeCredential) }
