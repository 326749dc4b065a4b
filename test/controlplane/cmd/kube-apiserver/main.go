// Command kube-apiserver wraps the upstream kube-apiserver so the test suite can
// build it from the Go module proxy; the real entry point lives in package main of
// k8s.io/kubernetes, which cannot be installed as a module dependency.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
