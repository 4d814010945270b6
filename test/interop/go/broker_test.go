package interop

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

var brokerKind = flag.String("broker", "ferry", "broker under test: ferry or apache")

// brokerUnderTest is the broker the test runs against, with its name server.
type brokerUnderTest interface {
	start() error
	stop() error // graceful (SIGTERM), including the name server
	namesrvAddr() string
	brokerAddr() string
	workDir() string // store, config and logs
	logTail(lines int) string
}

// layout holds the names, ports and directories of one broker under test.
type layout struct {
	namesrvPort, brokerPort int
	dir                     string
}

func newLayout() (*layout, error) {
	n, b, err := freePorts()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ferry-interop-go-"+*brokerKind+"-")
	if err != nil {
		return nil, err
	}
	return &layout{namesrvPort: n, brokerPort: b, dir: dir}, os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
}

func (l *layout) namesrvAddr() string { return "127.0.0.1:" + strconv.Itoa(l.namesrvPort) }
func (l *layout) brokerAddr() string  { return "127.0.0.1:" + strconv.Itoa(l.brokerPort) }
func (l *layout) workDir() string     { return l.dir }
func (l *layout) logFile(name string) string {
	return filepath.Join(l.dir, "logs", name)
}

// commonSettings are the broker.conf keys both implementations read (RocketMQ's names).
func (l *layout) commonSettings() map[string]string {
	return map[string]string{
		"brokerClusterName":     "InteropCluster",
		"brokerName":            "interop-broker-a",
		"brokerIP1":             "127.0.0.1",
		"storePathRootDir":      filepath.Join(l.dir, "store"),
		"flushDiskType":         "ASYNC_FLUSH",
		"autoCreateTopicEnable": "true",
	}
}

func (l *layout) writeConf(name string, settings map[string]string) (string, error) {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, settings[k])
	}
	path := filepath.Join(l.dir, name)
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// awaitBroker polls until the broker port accepts connections and the name server routes TBW102.
func awaitBroker(p *process, l *layout, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !(portOpen(l.brokerPort) && routeExists(l.namesrvAddr(), "TBW102")) {
		if !p.alive() {
			return fmt.Errorf("%s exited with %d before it was ready\n%s", p.name, p.exitCode(), tail(p.log, 60))
		}
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("%s not ready within %s; killed\n%s", p.name, timeout, tail(p.log, 60))
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

func awaitPort(p *process, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !portOpen(port) {
		if !p.alive() || time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("%s did not listen on %d\n%s", p.name, port, tail(p.log, 60))
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

func newBroker() (brokerUnderTest, error) {
	l, err := newLayout()
	if err != nil {
		return nil, err
	}
	switch *brokerKind {
	case "ferry":
		return &ferryBroker{layout: l}, nil
	case "apache":
		return &apacheBroker{layout: l}, nil
	}
	return nil, fmt.Errorf("-broker must be ferry or apache, not %q", *brokerKind)
}

// interopDir is test/interop (go test runs in test/interop/go).
func interopDir() string {
	dir, _ := filepath.Abs("..")
	return dir
}

// ferryBroker runs `node $FERRY_HOME/bin/ferrymq.js start -c <conf> key=value ...` (or $FERRY_CMD).
type ferryBroker struct {
	*layout
	proc *process
}

func (f *ferryBroker) start() error {
	settings := f.commonSettings()
	settings["mapedFileSizeCommitLog"] = "67108864"
	settings["networkWorkers"] = "2"
	conf, err := f.writeConf("broker.conf", settings)
	if err != nil {
		return err
	}
	argv := append(ferryCommand(), "start", "-c", conf,
		"listenPort="+strconv.Itoa(f.brokerPort),
		"namesrvListenPort="+strconv.Itoa(f.namesrvPort),
		"namesrvAddr="+f.namesrvAddr())
	if f.proc, err = startProcess("ferry", argv, nil, f.dir, f.logFile("ferry.log")); err != nil {
		return err
	}
	return awaitBroker(f.proc, f.layout, 20*time.Second)
}

func ferryCommand() []string {
	if cmd := strings.Fields(os.Getenv("FERRY_CMD")); len(cmd) > 0 {
		return cmd
	}
	home := os.Getenv("FERRY_HOME")
	if home == "" {
		home = filepath.Join(interopDir(), "..", "..")
	}
	return []string{"node", filepath.Join(home, "bin", "ferrymq.js")}
}

func (f *ferryBroker) stop() error {
	code, err := f.proc.terminate(30 * time.Second)
	if err == nil && code != 0 {
		err = fmt.Errorf("ferry exited with %d on SIGTERM, expected 0\n%s", code, tail(f.proc.log, 40))
	}
	return err
}

func (f *ferryBroker) logTail(lines int) string { return tail(f.logFile("ferry.log"), lines) }

// apacheBroker runs the released Apache RocketMQ name server and broker (see ../apache).
type apacheBroker struct {
	*layout
	namesrv, broker *process
}

func (a *apacheBroker) start() error {
	home := filepath.Join(interopDir(), "apache")
	java, err := apacheJava(home, a.dir, a.logFile(""))
	if err != nil {
		return err
	}
	nsConf, err := a.writeConf("namesrv.conf", map[string]string{"listenPort": strconv.Itoa(a.namesrvPort)})
	if err != nil {
		return err
	}
	settings := a.commonSettings()
	settings["brokerId"] = "0"
	settings["listenPort"] = strconv.Itoa(a.brokerPort)
	settings["namesrvAddr"] = a.namesrvAddr()
	settings["mappedFileSizeCommitLog"] = "67108864"
	settings["maxHashSlotNum"] = "50000"
	settings["maxIndexNum"] = "200000"
	brokerConf, err := a.writeConf("broker.conf", settings)
	if err != nil {
		return err
	}
	env := []string{"ROCKETMQ_HOME=" + home}
	a.namesrv, err = startProcess("apache-namesrv", append(java, "org.apache.rocketmq.namesrv.NamesrvStartup",
		"-c", nsConf), env, a.dir, a.logFile("namesrv.out"))
	if err != nil {
		return err
	}
	if err := awaitPort(a.namesrv, a.namesrvPort, 60*time.Second); err != nil {
		return err
	}
	a.broker, err = startProcess("apache-broker", append(java, "org.apache.rocketmq.broker.BrokerStartup",
		"-c", brokerConf), env, a.dir, a.logFile("broker.out"))
	if err != nil {
		return err
	}
	return awaitBroker(a.broker, a.layout, 60*time.Second)
}

// apacheJava is the java command line up to the main class: JVM options from ../apache/jvm.options
// and the classpath from $ROCKETMQ_APACHE_CLASSPATH (else ../apache/classpath.sh).
func apacheJava(home, userHome, logDir string) ([]string, error) {
	options, err := os.ReadFile(filepath.Join(home, "jvm.options"))
	if err != nil {
		return nil, err
	}
	classpath := strings.TrimSpace(os.Getenv("ROCKETMQ_APACHE_CLASSPATH"))
	if classpath == "" {
		script := exec.Command("bash", filepath.Join(home, "classpath.sh"))
		script.Stderr = os.Stderr
		out, err := script.Output()
		if err != nil {
			return nil, fmt.Errorf("apache/classpath.sh: %w", err)
		}
		classpath = strings.TrimSpace(string(out))
	}
	argv := []string{"java"}
	for _, line := range strings.Split(string(options), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			argv = append(argv, line)
		}
	}
	return append(argv, "-Duser.home="+userHome, "-Dinterop.logDir="+logDir, "-cp", classpath), nil
}

func (a *apacheBroker) stop() error {
	var errs []string
	for _, p := range []*process{a.broker, a.namesrv} {
		if p == nil {
			continue
		}
		if _, err := p.terminate(60 * time.Second); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (a *apacheBroker) logTail(lines int) string { return tail(a.logFile("broker.log"), lines) }
