// SIGTERM/SIGINT (stop) and SIGHUP (reload) as a readable fd: a self-pipe whose read end
// wakes every wait of a loop at once. Handlers (not a blocked mask + signalfd) so that child
// processes start with default dispositions and nothing depends on which thread the signal is
// delivered to.
#pragma once

#include <signal.h>

#include <chrono>

namespace vzlvs {

class StopSignals {
  public:
    StopSignals();   // installs the handlers; one instance at a time
    ~StopSignals();  // restores the previous ones
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    int fd() const { return read_; }  // readable once a stop or reload signal arrived
    bool requested() const;
    const char* name() const;  // "SIGTERM" or "SIGINT"
    // Whether a SIGHUP came since the last call; taking it drains the pipe, so that waits
    // block again (a stop is kept: requested() reads its own flag).
    bool take_reload();

    // Waits until `until` or a stop signal, whichever is first.
    void wait_until(std::chrono::steady_clock::time_point until) const;

  private:
    int read_ = -1, write_ = -1;
    struct sigaction old_term_ {
    }, old_int_{}, old_hup_{};
};

}  // namespace vzlvs
