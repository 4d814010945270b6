// The official RocketMQ C++ client (rocketmq-client-cpp), unchanged, against a running broker:
// sync, async, oneway and ordered sends; queue offsets and store times; pull by offset with and
// without a tag filter; a push consumer getting each message once; its committed offsets across
// a restart; an orderly consumer (queue locks) getting one queue in order; a retried message; a
// delayed message.
//
//   interop NAMESRV_ADDR SUFFIX      exit 0 when every check passed
//
// Topic and group names end in SUFFIX, so runs against one broker do not meet.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "DefaultMQProducer.h"
#include "DefaultMQPullConsumer.h"
#include "DefaultMQPushConsumer.h"

using namespace rocketmq;
using Clock = std::chrono::steady_clock;

static int checks = 0;
static int failures = 0;

static void expect(bool ok, const std::string& what) {
  ++checks;
  if (!ok) {
    ++failures;
    std::printf("FAIL: %s\n", what.c_str());
    std::fflush(stdout);
  }
}

static void step(const std::string& name) {
  std::printf("--- %s\n", name.c_str());
  std::fflush(stdout);
}

static int64 nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/** Polls `done` every 100 ms until it holds or `seconds` pass. */
static bool waitFor(const std::function<bool()>& done, int seconds) {
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

struct Sent {
  std::string tag, body, offsetMsgId;
  int queueId = -1;           // where the send result put it; -1 when there is no result
  int64 queueOffset = -1;
  Sent() {}
  Sent(const std::string& t, const std::string& b) : tag(t), body(b) {}
};

/** What a consumer got: each message by key, in arrival order. */
class Received {
 public:
  void add(const MQMessageExt& m) {
    std::lock_guard<std::mutex> lock(mu_);
    order_.push_back(m.getKeys());
    bodies_[m.getKeys()] = m.getBody();
    counts_[m.getKeys()]++;
    reconsumeTimes_[m.getKeys()] = m.getReconsumeTimes();
    firstSeen_.insert(std::make_pair(m.getKeys(), nowMillis()));
  }
  size_t distinct() {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_.size();
  }
  size_t total() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_.size();
  }
  std::map<std::string, int> counts() {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_;
  }
  std::map<std::string, std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::vector<std::string> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }
  int reconsumeTimes(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return reconsumeTimes_.count(key) ? reconsumeTimes_[key] : -1;
  }
  int64 firstSeen(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return firstSeen_.count(key) ? firstSeen_[key] : -1;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> bodies_;
  std::map<std::string, int> counts_;
  std::map<std::string, int> reconsumeTimes_;
  std::map<std::string, int64> firstSeen_;
};

/** Records and accepts every message; Base says how they are delivered (concurrently or orderly). */
template <class Base>
class RecordingListener : public Base {
 public:
  explicit RecordingListener(Received* r) : r_(r) {}
  ConsumeStatus consumeMessage(const std::vector<MQMessageExt>& msgs) override {
    for (const auto& m : msgs) r_->add(m);
    return CONSUME_SUCCESS;
  }

 private:
  Received* r_;
};
using ConcurrentListener = RecordingListener<MessageListenerConcurrently>;
using OrderlyListener = RecordingListener<MessageListenerOrderly>;

/** Asks for a second delivery of a TagD message seen for the first time. */
class RetryOnceListener : public MessageListenerConcurrently {
 public:
  explicit RetryOnceListener(Received* r) : r_(r) {}
  ConsumeStatus consumeMessage(const std::vector<MQMessageExt>& msgs) override {
    bool retry = false;
    for (const auto& m : msgs) {
      r_->add(m);
      retry = retry || (m.getTags() == "TagD" && m.getReconsumeTimes() == 0);
    }
    return retry ? RECONSUME_LATER : CONSUME_SUCCESS;
  }

 private:
  Received* r_;
};

class CountingCallback : public SendCallback {
 public:
  void onSuccess(SendResult& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (r.getSendStatus() == SEND_OK) ok_++;
    else failed_++;
  }
  void onException(MQException& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    failed_++;
    std::printf("async send failed: %s\n", e.what());
  }
  int ok() {
    std::lock_guard<std::mutex> lock(mu_);
    return ok_;
  }
  int failed() {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_;
  }

 private:
  std::mutex mu_;
  int ok_ = 0, failed_ = 0;
};

class QueueByArg : public MessageQueueSelector {
 public:
  MQMessageQueue select(const std::vector<MQMessageQueue>& mqs, const MQMessage&, void* arg) override {
    return mqs[*static_cast<int*>(arg) % mqs.size()];
  }
};

static std::unique_ptr<DefaultMQPushConsumer> pushConsumer(const std::string& group, const std::string& namesrv,
                                                           const std::string& topic, const std::string& expr,
                                                           MQMessageListener* listener) {
  std::unique_ptr<DefaultMQPushConsumer> c(new DefaultMQPushConsumer(group));
  c->setNamesrvAddr(namesrv);
  c->setInstanceName(group);
  c->setMessageModel(CLUSTERING);
  c->setConsumeFromWhere(CONSUME_FROM_FIRST_OFFSET);
  c->subscribe(topic, expr);
  c->registerMessageListener(listener);
  c->start();
  return c;
}

int main(int argc, char* argv[]) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s NAMESRV_ADDR SUFFIX\n", argv[0]);
    return 2;
  }
  const std::string namesrv = argv[1], suffix = argv[2];
  const std::string topic = "T_cpp_" + suffix;
  const int64 startedAt = nowMillis();
  std::map<std::string, Sent> sent;

  DefaultMQProducer producer("PG_cpp_" + suffix);
  producer.setNamesrvAddr(namesrv);
  producer.setInstanceName("PG_cpp_" + suffix);
  producer.setSendMsgTimeout(10000);
  producer.start();

  step("sync send: 100 messages, tags TagA and TagB, topic created from TBW102");
  std::map<int, int64> lastOffset;
  for (int i = 0; i < 100; i++) {
    Sent s(i % 2 == 0 ? "TagA" : "TagB", "sync body " + std::to_string(i));
    const std::string key = "s" + std::to_string(i);
    MQMessage msg(topic, s.tag, key, s.body);
    try {
      SendResult r = producer.send(msg);
      expect(r.getSendStatus() == SEND_OK, "sync send " + key + " status " + std::to_string(r.getSendStatus()));
      expect(r.getMsgId().size() == 32, "sync send " + key + " msgId '" + r.getMsgId() + "'");
      expect(r.getOffsetMsgId().size() == 32, "sync send " + key + " offsetMsgId '" + r.getOffsetMsgId() + "'");
      s.offsetMsgId = r.getOffsetMsgId();
      s.queueId = r.getMessageQueue().getQueueId();
      s.queueOffset = r.getQueueOffset();
      auto last = lastOffset.find(s.queueId);
      expect(last == lastOffset.end() || s.queueOffset == last->second + 1,
             "sync send " + key + ": queue offset " + std::to_string(s.queueOffset) + " follows the last one in queue " +
                 std::to_string(s.queueId));
      lastOffset[s.queueId] = s.queueOffset;
    } catch (MQException& e) {
      expect(false, "sync send " + key + " threw " + e.what());
    }
    sent[key] = s;
  }

  // Sends count messages keyed <first letter of kind><i> through a send that returns no result.
  auto sendWithoutResult = [&](const std::string& kind, const std::string& tag, int count,
                               const std::function<void(MQMessage&)>& send) {
    for (int i = 0; i < count; i++) {
      const std::string key = kind.substr(0, 1) + std::to_string(i);
      Sent s(tag, kind + " body " + std::to_string(i));
      MQMessage msg(topic, s.tag, key, s.body);
      sent[key] = s;
      try {
        send(msg);
      } catch (MQException& e) {
        expect(false, kind + " send " + key + " threw " + e.what());
      }
    }
  };

  step("async send: 40 messages, TagA");
  CountingCallback callback;
  sendWithoutResult("async", "TagA", 40, [&](MQMessage& msg) { producer.send(msg, &callback); });
  expect(waitFor([&] { return callback.ok() + callback.failed() >= 40; }, 30), "40 async send callbacks within 30 s");
  expect(callback.ok() == 40, "async sends acknowledged: " + std::to_string(callback.ok()) + " of 40");

  step("oneway send: 10 messages, TagB");
  sendWithoutResult("oneway", "TagB", 10, [&](MQMessage& msg) { producer.sendOneway(msg); });

  // Oneway sends may still be on their way; the ordered sends below check that nothing else lands
  // in their queue meanwhile.
  std::vector<MQMessageQueue> queues = producer.getTopicMessageQueueInfo(topic);
  expect(!queues.empty(), "the topic has queues");
  auto storedCount = [&] {
    int64 stored = 0;
    for (const auto& mq : queues) stored += producer.maxOffset(mq) - producer.minOffset(mq);
    return stored;
  };
  expect(waitFor([&] { return storedCount() == static_cast<int64>(sent.size()); }, 15),
         "the 150 sync, async and oneway messages are in the queues within 15 s");

  step("ordered send: 20 messages to one queue through a selector, TagC");
  int orderedQueue = 1;
  QueueByArg selector;
  int64 firstOrdered = -1;
  int orderedQueueId = -1;
  for (int i = 0; i < 20; i++) {
    const std::string key = "c" + std::to_string(i);
    Sent s("TagC", "ordered body " + std::to_string(i));
    MQMessage msg(topic, s.tag, key, s.body);
    try {
      SendResult r = producer.send(msg, &selector, &orderedQueue);
      expect(r.getSendStatus() == SEND_OK, "ordered send " + key + " status");
      if (i == 0) {
        firstOrdered = r.getQueueOffset();
        orderedQueueId = r.getMessageQueue().getQueueId();
      }
      expect(r.getMessageQueue().getQueueId() == orderedQueueId, "ordered send " + key + " went to the selected queue");
      expect(r.getQueueOffset() == firstOrdered + i, "ordered send " + key + " has the next offset of its queue");
      s.offsetMsgId = r.getOffsetMsgId();
      s.queueId = r.getMessageQueue().getQueueId();
      s.queueOffset = r.getQueueOffset();
    } catch (MQException& e) {
      expect(false, "ordered send " + key + " threw " + e.what());
    }
    sent[key] = s;
  }
  const size_t total = sent.size();  // 170
  size_t tagA = 0, tagC = 0;
  for (const auto& kv : sent) {
    tagA += kv.second.tag == "TagA";
    tagC += kv.second.tag == "TagC";
  }

  step("queue offsets, earliest store time and search by time");
  bool settled = waitFor([&] { return storedCount() == static_cast<int64>(total); }, 15);
  expect(settled, "max - min offset over the queues is " + std::to_string(storedCount()) + ", expected " + std::to_string(total));
  for (const auto& mq : queues) {
    if (producer.maxOffset(mq) == 0) continue;
    int64 earliest = producer.earliestMsgStoreTime(mq);
    expect(earliest >= startedAt - 5000 && earliest <= nowMillis() + 5000,
           "earliest store time of queue " + std::to_string(mq.getQueueId()) + " lies in this run: " + std::to_string(earliest));
    expect(producer.searchOffset(mq, startedAt - 60000) == 0,
           "search by a time before the run finds offset 0 in queue " + std::to_string(mq.getQueueId()));
  }

  step("pull consumer: every message by offset, then TagA only");
  DefaultMQPullConsumer puller("CG_cpp_pull_" + suffix);
  puller.setNamesrvAddr(namesrv);
  puller.setInstanceName("CG_cpp_pull_" + suffix);
  puller.start();
  std::vector<MQMessageQueue> pullQueues;
  puller.fetchSubscribeMessageQueues(topic, pullQueues);
  expect(pullQueues.size() == queues.size(), "the pull consumer sees " + std::to_string(pullQueues.size()) + " queues");
  auto pullAll = [&](const std::string& expr, std::map<std::string, int>& counts) {
    for (const auto& mq : pullQueues) {
      int64 offset = 0;
      for (int round = 0; round < 1000; round++) {
        PullResult r = puller.pull(mq, expr, offset, 32);
        if (r.pullStatus != FOUND) {
          expect(r.pullStatus == NO_NEW_MSG || r.pullStatus == NO_MATCHED_MSG,
                 "pull " + expr + " on queue " + std::to_string(mq.getQueueId()) + " ends with " + r.toString());
          break;
        }
        for (const auto& m : r.msgFoundList) {
          const std::string key = m.getKeys();
          counts[key]++;
          auto s = sent.find(key);
          if (s == sent.end()) {
            expect(false, "pulled a message that was not sent: " + key);
            continue;
          }
          expect(m.getBody() == s->second.body, "pulled " + key + " has its body");
          expect(m.getTags() == s->second.tag, "pulled " + key + " has its tag");
          expect(m.getTopic() == topic, "pulled " + key + " has its topic");
          if (s->second.queueOffset >= 0) {
            expect(m.getQueueId() == s->second.queueId && m.getQueueOffset() == s->second.queueOffset,
                   "pulled " + key + " sits where its send result said");
            expect(m.getOffsetMsgId() == s->second.offsetMsgId, "pulled " + key + " has the offset message id of its send result");
          }
        }
        expect(r.nextBeginOffset > offset, "pull moves the offset forward");
        offset = r.nextBeginOffset;
      }
    }
  };
  std::map<std::string, int> pulled;
  pullAll("*", pulled);
  expect(pulled.size() == total, "pulled " + std::to_string(pulled.size()) + " distinct messages of " + std::to_string(total));
  for (const auto& kv : pulled) expect(kv.second == 1, "pulled " + kv.first + " once, not " + std::to_string(kv.second) + " times");
  std::map<std::string, int> pulledA;
  pullAll("TagA", pulledA);
  expect(pulledA.size() == tagA, "pulled " + std::to_string(pulledA.size()) + " TagA messages of " + std::to_string(tagA));
  for (const auto& kv : pulledA) expect(sent[kv.first].tag == "TagA", "the TagA pull returned " + kv.first);
  puller.shutdown();

  step("push consumers: TagA || TagC concurrently, TagC orderly, TagD retried once, TagE delayed");
  const std::string pushGroup = "CG_cpp_push_" + suffix;
  Received pushed, ordered, later;
  ConcurrentListener pushListener(&pushed);
  OrderlyListener orderlyListener(&ordered);
  RetryOnceListener laterListener(&later);
  auto push = pushConsumer(pushGroup, namesrv, topic, "TagA || TagC", &pushListener);
  auto orderly = pushConsumer("CG_cpp_orderly_" + suffix, namesrv, topic, "TagC", &orderlyListener);
  auto laterConsumer = pushConsumer("CG_cpp_later_" + suffix, namesrv, topic, "TagD || TagE", &laterListener);
  {
    MQMessage msg(topic, "TagD", "r0", "retry body");
    expect(producer.send(msg).getSendStatus() == SEND_OK, "the TagD message is stored");
  }
  const int64 delayedSentAt = nowMillis();
  {
    MQMessage msg(topic, "TagE", "d0", "delayed body");
    msg.setDelayTimeLevel(2);  // 5 s
    expect(producer.send(msg).getSendStatus() == SEND_OK, "the delayed TagE message is stored");
  }
  const size_t wantPushed = tagA + tagC;
  expect(waitFor([&] { return pushed.distinct() >= wantPushed; }, 60),
         "the push consumer got " + std::to_string(pushed.distinct()) + " of " + std::to_string(wantPushed) + " within 60 s");
  expect(waitFor([&] { return ordered.distinct() >= tagC; }, 60),
         "the orderly consumer got " + std::to_string(ordered.distinct()) + " of " + std::to_string(tagC) + " within 60 s");
  std::this_thread::sleep_for(std::chrono::seconds(2));  // room for duplicates to show
  for (const auto& kv : pushed.counts()) {
    expect(sent.count(kv.first) && (sent[kv.first].tag == "TagA" || sent[kv.first].tag == "TagC"),
           "the push consumer got only TagA and TagC: " + kv.first);
    expect(kv.second == 1, "the push consumer got " + kv.first + " once, not " + std::to_string(kv.second) + " times");
  }
  for (const auto& kv : pushed.bodies()) expect(sent.count(kv.first) && kv.second == sent[kv.first].body, "pushed " + kv.first + " has its body");
  std::vector<std::string> order = ordered.order();
  expect(order.size() == tagC, "the orderly consumer got " + std::to_string(order.size()) + " deliveries, expected " + std::to_string(tagC));
  for (size_t i = 0; i < order.size(); i++) expect(order[i] == "c" + std::to_string(i), "orderly delivery " + std::to_string(i) + " is " + order[i]);
  // The first delivery asks for a retry; the broker redelivers it through %RETRY% after delay level 3 (10 s).
  expect(waitFor([&] { return later.counts()["r0"] >= 2; }, 45), "the retried message came back within 45 s");
  expect(later.reconsumeTimes("r0") >= 1, "the redelivered message counts its reconsume times: " + std::to_string(later.reconsumeTimes("r0")));
  expect(later.firstSeen("d0") >= 0, "the delayed message was delivered");
  expect(later.firstSeen("d0") - delayedSentAt >= 4500,
         "the delayed message (level 2, 5 s) was held " + std::to_string(later.firstSeen("d0") - delayedSentAt) + " ms");
  expect(later.counts()["d0"] == 1 && later.bodies()["d0"] == "delayed body", "the delayed message came once, with its body");
  orderly->shutdown();
  laterConsumer->shutdown();

  step("committed offsets: the push group restarts where it stopped");
  push->shutdown();  // persists the group's offsets to the broker
  push.reset();
  Received again;
  ConcurrentListener againListener(&again);
  auto restarted = pushConsumer(pushGroup, namesrv, topic, "TagA || TagC", &againListener);
  for (int i = 0; i < 5; i++) {
    MQMessage msg(topic, "TagA", "n" + std::to_string(i), "after restart " + std::to_string(i));
    expect(producer.send(msg).getSendStatus() == SEND_OK, "send after restart " + std::to_string(i));
  }
  expect(waitFor([&] { return again.distinct() >= 5; }, 60), "the restarted consumer got " + std::to_string(again.distinct()) + " of 5 new messages within 60 s");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (const auto& kv : again.counts()) expect(kv.first[0] == 'n', "the restarted consumer got only new messages, not " + kv.first);
  restarted->shutdown();
  producer.shutdown();

  std::printf("cpp interop: %d checks, %d failed\n", checks, failures);
  std::fflush(stdout);
  // The client's static state is not torn down cleanly at exit in every version; the verdict is final here.
  std::_Exit(failures == 0 ? 0 : 1);
}
