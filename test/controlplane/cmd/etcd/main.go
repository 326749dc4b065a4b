// Command etcd wraps etcdmain, because the etcd server module carries replace
// directives and therefore cannot be built with a plain `go install`.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
