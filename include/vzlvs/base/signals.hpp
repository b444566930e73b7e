// Signals as a loop sees them. Handlers (not a blocked mask + signalfd), so that child
// processes start with default dispositions and nothing depends on which thread the signal is
// delivered to; each wakes its loop through a self-pipe.
#pragma once

#include <signal.h>

#include <chrono>

namespace vzlvs {

// For a one-shot command: SIGTERM, SIGINT and SIGHUP end vzlvs as they would anyway, after
// killing the children that end with it (RunOptions::ends_with_vzlvs), so that a command
// stuck in a container does not run on, orphaned.
void end_children_with_vzlvs_on_signals();

// For a long-running command: SIGTERM/SIGINT stop it (and the children that end with vzlvs are
// killed at once, so a stop is never held up by a command stuck in a container); SIGHUP asks
// it to reload. Every wait on fd() ends at a stop; wait_until() ends at either.
class StopSignals {
  public:
    StopSignals();   // installs the handlers; one instance at a time
    ~StopSignals();  // restores the previous ones
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    int fd() const { return read_; }  // readable once a stop signal arrived
    bool requested() const;
    void request();  // a stop from inside, as a SIGTERM would (the children are left alone)
    const char* name() const;  // "SIGTERM" or "SIGINT"
    // Whether a SIGHUP came since the last call.
    bool take_reload();

    // Wakes wait_until() from another thread of this process (work for the loop, no signal).
    void nudge();
    // Whether nudge() was called since the last call.
    bool take_nudge();

    // Waits until `until`, a stop signal, a reload signal or a nudge, whichever is first.
    void wait_until(std::chrono::steady_clock::time_point until) const;

  private:
    int read_ = -1, write_ = -1;                // the stop pipe
    int reload_read_ = -1, reload_write_ = -1;  // the reload pipe
    struct sigaction old_term_ {
    }, old_int_{}, old_hup_{};
};

}  // namespace vzlvs
