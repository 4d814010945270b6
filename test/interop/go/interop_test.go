package interop

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

const (
	messageCount = 1000
	senders      = 4
	queues       = 4
)

func init() {
	rlog.SetLogLevel("error")
}

// TestGoProducerAndPushConsumer: 1,000 messages sent with the Go producer arrive exactly once, intact,
// at the Go push consumer.
func TestGoProducerAndPushConsumer(t *testing.T) {
	b := startBroker(t)
	suffix := fmt.Sprintf("%06x", rand.Intn(1<<24))
	topic, group := "T_go_"+suffix, "CG_go_"+suffix
	resolver := primitive.NewPassthroughResolver([]string{b.namesrvAddr()})
	createTopic(t, b, resolver, topic)

	received := newReceived()
	c, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(resolver),
		consumer.WithGroupName(group),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	must(t, err, "new push consumer")
	must(t, c.Subscribe(topic, consumer.MessageSelector{}, received.listener), "subscribe")
	must(t, c.Start(), "start push consumer")
	t.Cleanup(func() { _ = c.Shutdown() })

	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(resolver),
		producer.WithGroupName("PG_go_"+suffix),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(10*time.Second),
	)
	must(t, err, "new producer")
	must(t, p.Start(), "start producer")
	t.Cleanup(func() { _ = p.Shutdown() })
	sent := sendAll(t, p, topic, suffix)

	deadline := time.Now().Add(60 * time.Second)
	for received.distinct() < len(sent) {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d messages within 60s", received.distinct(), len(sent))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a wrong extra delivery gets the chance to show up
	received.assertExactly(t, sent)
}

func startBroker(t *testing.T) brokerUnderTest {
	t.Helper()
	b, err := newBroker()
	must(t, err, "prepare broker")
	if err := b.start(); err != nil {
		_ = b.stop()
		t.Fatalf("broker under test (%s) did not start: %v", *brokerKind, err)
	}
	t.Cleanup(func() {
		if err := b.stop(); err != nil {
			t.Errorf("broker stop: %v", err)
		}
		if t.Failed() {
			t.Logf("%s\nbroker files kept in %s", b.logTail(60), b.workDir())
		} else {
			_ = os.RemoveAll(b.workDir())
		}
	})
	return b
}

// createTopic creates the topic on the broker (UPDATE_AND_CREATE_TOPIC) and waits for its route.
func createTopic(t *testing.T, b brokerUnderTest, resolver primitive.NsResolver, topic string) {
	t.Helper()
	a, err := admin.NewAdmin(admin.WithResolver(resolver))
	must(t, err, "new admin")
	defer a.Close()
	err = a.CreateTopic(context.Background(), admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(b.brokerAddr()),
		admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues))
	must(t, err, "create topic")
	deadline := time.Now().Add(15 * time.Second)
	for !routeExists(b.namesrvAddr(), topic) {
		if time.Now().After(deadline) {
			t.Fatalf("no route for %s within 15s after creating it", topic)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sendAll sends messageCount messages from several goroutines; returns the acknowledged keys.
func sendAll(t *testing.T, p interface {
	SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error)
}, topic, suffix string) map[string]bool {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, messageCount)
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for i := s; i < messageCount; i += senders {
				key := fmt.Sprintf("go-%s-%d", suffix, i)
				msg := primitive.NewMessage(topic, body(key))
				msg.WithKeys([]string{key})
				msg.WithTag("TagGo")
				res, err := p.SendSync(context.Background(), msg)
				if err == nil && res.Status != primitive.SendOK {
					err = fmt.Errorf("status %d", res.Status)
				}
				if err != nil {
					errs <- fmt.Errorf("send %s: %w", key, err)
				}
			}
		}(s)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sent := make(map[string]bool, messageCount)
	for i := 0; i < messageCount; i++ {
		sent[fmt.Sprintf("go-%s-%d", suffix, i)] = true
	}
	return sent
}

func body(key string) []byte { return []byte("interop body of " + key) }

// received counts deliveries per key and remembers any message that arrived damaged.
type received struct {
	mu      sync.Mutex
	count   map[string]int
	damaged []string
}

func newReceived() *received { return &received{count: map[string]int{}} }

func (r *received) listener(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		key := m.GetKeys()
		r.count[key]++
		if string(m.Body) != string(body(key)) || m.GetTags() != "TagGo" {
			r.damaged = append(r.damaged, key)
		}
	}
	return consumer.ConsumeSuccess, nil
}

func (r *received) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.count)
}

func (r *received) assertExactly(t *testing.T, sent map[string]bool) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, n := range r.count {
		if !sent[key] {
			t.Errorf("received %s, which was never sent", key)
		} else if n != 1 {
			t.Errorf("received %s %d times", key, n)
		}
	}
	for key := range sent {
		if r.count[key] == 0 {
			t.Errorf("never received %s", key)
		}
	}
	if len(r.damaged) > 0 {
		t.Errorf("%d messages arrived with a wrong body or tag, e.g. %s", len(r.damaged), r.damaged[0])
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
