package interop

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var cppClient = flag.String("cpp-client", "", "the C++ client's interop program (../cpp/build.sh prints its path); without it TestCppClient is skipped")

const (
	cppRunLimit = 4 * time.Minute
	cppAttempts = 5
	// The line rocketmq-client-cpp 1.2.0 logs once a second while a new connection waits for its
	// event-loop thread. That thread can start before the pointer it checks is assigned and then
	// return at once, leaving the wait to last forever (a race in the client's TcpTransport::connect,
	// apache/rocketmq-client-cpp#52, fixed after 1.2.0). It happens before a byte is sent.
	cppConnectRace   = "Wait till event base is looping"
	cppLoopStarted   = "Notify on event_base_dispatch"
	cppRaceWaits     = 10
	cppPollInterval  = time.Second
	cppClientLogsDir = "logs/rocketmq-cpp"
)

// TestCppClient runs the official RocketMQ C++ client's interop program (../cpp/interop.cpp)
// against the broker under test: this harness starts and stops the broker, the program makes
// every check and exits 0 when all of them passed. A run stuck in the client's own connect race
// is killed and run again (new topic and groups), up to five runs.
func TestCppClient(t *testing.T) {
	if *cppClient == "" {
		t.Skip("no -cpp-client program (build it with ../cpp/build.sh; run.sh does)")
	}
	program, err := filepath.Abs(*cppClient)
	must(t, err, "C++ program path")
	b := startBroker(t)
	for attempt := 1; attempt <= cppAttempts; attempt++ {
		// The client writes its log under $HOME/logs/rocketmq-cpp: kept with the broker's files.
		home := filepath.Join(b.workDir(), fmt.Sprintf("cpp-client-%d", attempt))
		must(t, os.MkdirAll(home, 0o755), "C++ client home")
		out, verdict := runCppClient(program, b.namesrvAddr(), home)
		t.Logf("C++ client output, run %d:\n%s", attempt, out)
		switch verdict {
		case cppPassed:
			return
		case cppConnectRaceHit:
			t.Logf("run %d stuck in the client's connect race (%q in its log); killed", attempt, cppConnectRace)
			continue
		case cppTimedOut:
			t.Fatalf("the C++ client did not finish within %s; its log is in %s", cppRunLimit, filepath.Join(home, cppClientLogsDir))
		default:
			t.Fatalf("the C++ client reported failures; its log is in %s", filepath.Join(home, cppClientLogsDir))
		}
	}
	t.Fatalf("the C++ client hit its connect race in all %d runs", cppAttempts)
}

type cppVerdict int

const (
	cppPassed cppVerdict = iota
	cppFailed
	cppTimedOut
	cppConnectRaceHit
)

func runCppClient(program, namesrv, home string) (string, cppVerdict) {
	var out bytes.Buffer
	cmd := exec.Command(program, namesrv, fmt.Sprintf("%06x", rand.Intn(1<<24)))
	cmd.Env = append(os.Environ(), "HOME="+home)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err.Error(), cppFailed
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(cppRunLimit)
	tick := time.NewTicker(cppPollInterval)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return out.String(), cppFailed
			}
			return out.String(), cppPassed
		case <-deadline:
			_ = cmd.Process.Kill()
			<-done
			return out.String(), cppTimedOut
		case <-tick.C:
			if stuckInConnectRace(filepath.Join(home, cppClientLogsDir)) {
				_ = cmd.Process.Kill()
				<-done
				return out.String(), cppConnectRaceHit
			}
		}
	}
}

// stuckInConnectRace: the client has logged the race's wait line at least cppRaceWaits times more
// than the line its event-loop thread logs when it starts, i.e. a connect has waited that many
// seconds for a thread that is gone. In a healthy run each wait line is followed by its notify.
func stuckInConnectRace(logDir string) bool {
	files, _ := filepath.Glob(filepath.Join(logDir, "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		log := string(data)
		if strings.Count(log, cppConnectRace)-strings.Count(log, cppLoopStarted) >= cppRaceWaits {
			return true
		}
	}
	return false
}
