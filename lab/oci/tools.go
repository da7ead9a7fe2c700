//go:build tools

// Package tools names what test/lab/setup.sh builds from the Go module proxy
// for the OCI lab: the CNCF distribution registry (the registry behind
// Docker Hub and GitHub's container registry's protocol, with token auth and
// blob redirects) and go-containerregistry's crane, the client that builds and
// pushes the lab's plugin images. go.mod pins both.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
	_ "github.com/google/go-containerregistry/cmd/crane"
)
