//go:build tools

// Package tools names what lab/setup.sh builds from the Go module proxy:
// HashiCorp Vault community edition and HashiCorp's KV plugin. go.mod pins
// Vault v1.21.0, whose own go.mod asks for the SDK (v0.20.0) that matches its
// code; the KV plugin is built from the same module graph.
package tools

import (
	_ "github.com/hashicorp/vault"
	_ "github.com/hashicorp/vault-plugin-secrets-kv/cmd/vault-plugin-secrets-kv"
)
