// Drives the Go client (rocketmq-client-go/v2, the version in go.mod) through the scenario whose
// request frames become test/fixtures/frames/go-*.hex: one SEND_MESSAGE (10) with tag, key and a
// user property to queue 1, then a push consumer whose PULL_MESSAGE (11) requests fetch it.
// Run by capture.sh:  go run . <namesrv (the recording proxy)> <brokerName> <topic>
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go run . <namesrv> <brokerName> <topic>")
		os.Exit(2)
	}
	namesrv, brokerName, topic := os.Args[1], os.Args[2], os.Args[3]
	rlog.SetLogLevel("error")
	resolver := primitive.NewPassthroughResolver([]string{namesrv})

	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(resolver),
		producer.WithGroupName("GoldenGoProducer"),
		producer.WithInstanceName("golden-go-producer"),
		producer.WithQueueSelector(producer.NewManualQueueSelector()),
		producer.WithRetry(1),
		producer.WithSendMsgTimeout(10*time.Second),
	)
	check(err)
	check(p.Start())
	msg := primitive.NewMessage(topic, []byte("golden go body 1"))
	msg.WithTag("TagA")
	msg.WithKeys([]string{"golden-go-key-1"})
	msg.WithProperty("color", "blue")
	msg.Queue = &primitive.MessageQueue{Topic: topic, BrokerName: brokerName, QueueId: 1}
	res, err := p.SendSync(context.Background(), msg)
	check(err)
	fmt.Println("sent:", res.String())

	received := make(chan string, 16)
	c, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(resolver),
		consumer.WithGroupName("GoldenGoConsumer"),
		consumer.WithInstance("golden-go-consumer"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	check(err)
	check(c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA"},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				received <- m.GetKeys()
			}
			return consumer.ConsumeSuccess, nil
		}))
	check(c.Start())
	select {
	case key := <-received:
		fmt.Println("received:", key)
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "nothing received in 30 s")
		os.Exit(1)
	}
	time.Sleep(2 * time.Second)
	_ = c.Shutdown()
	_ = p.Shutdown()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
