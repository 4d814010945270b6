package interop

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strconv"
	"time"
)

// routeExists asks a name server for a topic's route (GET_ROUTEINFO_BY_TOPIC, code 105) with a
// plain JSON-header remoting frame, and reports whether it answered SUCCESS.
func routeExists(namesrvAddr, topic string) bool {
	conn, err := net.DialTimeout("tcp", namesrvAddr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	header, _ := json.Marshal(map[string]any{
		"code": 105, "language": "GO", "version": 317, "opaque": 1, "flag": 0,
		"extFields": map[string]string{"topic": topic},
	})
	frame := make([]byte, 8, 8+len(header))
	binary.BigEndian.PutUint32(frame[0:4], uint32(4+len(header)))
	binary.BigEndian.PutUint32(frame[4:8], uint32(len(header))) // serialize type 0 = JSON
	if _, err := conn.Write(append(frame, header...)); err != nil {
		return false
	}
	var lengths [8]byte
	if _, err := io.ReadFull(conn, lengths[:]); err != nil {
		return false
	}
	length := binary.BigEndian.Uint32(lengths[0:4])
	headerLen := binary.BigEndian.Uint32(lengths[4:8]) & 0xFFFFFF
	if headerLen > length-4 || length > 16<<20 {
		return false
	}
	rest := make([]byte, length-4)
	if _, err := io.ReadFull(conn, rest); err != nil {
		return false
	}
	var reply struct {
		Code int `json:"code"`
	}
	if lengths[4] != 0 || json.Unmarshal(rest[:headerLen], &reply) != nil {
		return false
	}
	return reply.Code == 0
}

func portOpen(port int) bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 500*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// freePorts picks a name server port and a broker port P with P-2 (VIP), P and P+1 (Apache HA)
// free, below the Linux ephemeral range.
func freePorts() (namesrv, broker int, err error) {
	for attempt := 0; attempt < 500; attempt++ {
		n := 20000 + rand.Intn(12000)
		b := 20002 + rand.Intn(11997)
		if b-2 <= n && n <= b+1 {
			continue
		}
		if portFree(n) && portFree(b-2) && portFree(b) && portFree(b+1) {
			return n, b, nil
		}
	}
	return 0, 0, fmt.Errorf("no free ports found")
}
