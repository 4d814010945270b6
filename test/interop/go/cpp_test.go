package interop

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var cppClient = flag.String("cpp-client", "", "the C++ client's interop program (../cpp/build.sh prints its path); without it TestCppClient is skipped")

// TestCppClient runs the official RocketMQ C++ client's interop program (../cpp/interop.cpp)
// against the broker under test: this harness starts and stops the broker, the program makes
// every check and exits 0 when all of them passed.
func TestCppClient(t *testing.T) {
	if *cppClient == "" {
		t.Skip("no -cpp-client program (build it with ../cpp/build.sh; run.sh does)")
	}
	program, err := filepath.Abs(*cppClient)
	must(t, err, "C++ program path")
	b := startBroker(t)
	// The client writes its own log under $HOME/logs/rocketmq-cpp: kept with the broker's files.
	home := filepath.Join(b.workDir(), "cpp-client")
	must(t, os.MkdirAll(home, 0o755), "C++ client home")

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, b.namesrvAddr(), fmt.Sprintf("%06x", rand.Intn(1<<24)))
	cmd.Env = append(os.Environ(), "HOME="+home)
	out, err := cmd.CombinedOutput()
	t.Logf("C++ client output:\n%s", out)
	if ctx.Err() != nil {
		t.Fatalf("the C++ client did not finish within 4 minutes")
	}
	if err != nil {
		t.Fatalf("the C++ client reported failures (%v); its log is in %s", err, filepath.Join(home, "logs", "rocketmq-cpp"))
	}
}
