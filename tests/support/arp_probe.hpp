// Raw-socket ARP for tests: send frames the way arpsend does (PF_PACKET, bypassing the ARP
// layer and its netfilter hooks) and capture what reaches a device, inside a network namespace.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace vzlvs::test {

enum class ArpOp : unsigned short { request = 1, reply = 2 };

struct ArpFrame {
    ArpOp op = ArpOp::request;
    std::string sender_mac;  // "aa:bb:cc:dd:ee:ff"
    std::string sender_ip;
    std::string target_mac;
    std::string target_ip;
    std::string str() const;  // "request 10.0.0.5 (aa:..) -> 10.0.0.5"
};

// Sends one broadcast Ethernet ARP frame from dev's MAC in the namespace at netns_path
// ("/run/netns/NAME"; "" = current). `arpsend -U -i VIP -e VIP` is op=request,
// sender_ip=target_ip=VIP. Throws std::runtime_error with errno text on failure; a frame the
// egress hook drops makes sendto() fail with ENOBUFS, which is reported as a false return.
bool send_arp(const std::string& netns_path, const std::string& dev, ArpOp op,
              const std::string& sender_ip, const std::string& target_ip);

// Listens on dev in the namespace from construction on, so a capture started before the sender
// cannot miss the frame. Only frames the device receives are kept (not its own outgoing ones).
class ArpCapture {
  public:
    ArpCapture(const std::string& netns_path, const std::string& dev);
    ~ArpCapture();
    ArpCapture(const ArpCapture&) = delete;
    ArpCapture& operator=(const ArpCapture&) = delete;

    // Collects frames until `until` matches one (it is included) or the timeout passes; polls,
    // never sleeps. Frames collected by earlier calls are not returned again.
    std::vector<ArpFrame> collect(std::chrono::milliseconds timeout,
                                  const std::function<bool(const ArpFrame&)>& until = {});

  private:
    int fd_ = -1;
};

// Captures on dev for at most timeout (bounded wait), stopping early at a frame matching until.
std::vector<ArpFrame> capture_arp(const std::string& netns_path, const std::string& dev,
                                  std::chrono::milliseconds timeout,
                                  const std::function<bool(const ArpFrame&)>& until = {});

}  // namespace vzlvs::test
