#include "commands/metrics.hpp"

#include <cstdio>
#include <sstream>

#include "vzlvs/base/files.hpp"
#include "vzlvs/commands/run.hpp"
#include "vzlvs/net/arpguard.hpp"

namespace vzlvs {

namespace {

// A label value as the exposition format wants it: \ " and newline escaped.
std::string label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

}  // namespace

const std::vector<double>& Metrics::leak_buckets() {
    static const std::vector<double> b{0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30};
    return b;
}

void Metrics::record_run(const Config& cfg, const Report& report, bool count_repairs,
                         std::chrono::system_clock::time_point at) {
    std::lock_guard<std::mutex> l(mu_);
    // Indexed once: a watch pass over 1,000 CTs has tens of thousands of outcomes.
    std::map<std::pair<std::string, std::string>, const Outcome*> by_step;
    for (const auto& o : report.outcomes()) by_step.emplace(std::make_pair(o.scope, o.name), &o);
    auto find = [&](const std::string& scope, const std::string& name) -> const Outcome* {
        auto it = by_step.find({scope, name});
        return it == by_step.end() ? nullptr : it->second;
    };
    backends_.clear();
    for (const auto& [ctid, ct] : cfg.containers) {
        for (const auto& service : ct.services) {
            Backend b{service, ctid, backend_id_text(cfg.node.name, ctid, service)};
            const Outcome* reg = find("ct " + ctid, "registered in " + service);
            b.registered = reg && (reg->status == Status::ok || reg->status == Status::changed);
            b.weight = b.registered ? ct.weight : 0;
            if (const Outcome* p =
                    find("ct " + ctid, "answers through the tunnel (" + service + ")"))
                b.probe = p->status == Status::ok ? 1 : 0;
            backends_.push_back(std::move(b));
        }
    }
    outcomes_.clear();
    for (Status s : {Status::ok, Status::changed, Status::planned, Status::pending, Status::skipped,
                     Status::warning, Status::failed})
        outcomes_[to_string(s)] = report.count(s);
    if (count_repairs)
        for (const auto& o : report.outcomes())
            if (o.status == Status::changed) ++repairs_[o.name];
    if (!report.failed())
        last_converge_ = std::chrono::duration<double>(at.time_since_epoch()).count();
}

void Metrics::record_leak(std::chrono::duration<double> window) {
    std::lock_guard<std::mutex> l(mu_);
    const auto& b = leak_buckets();
    for (std::size_t i = 0; i < b.size(); ++i)
        if (window.count() <= b[i]) ++leak_counts_[i];
    ++leak_total_;
    leak_sum_ += window.count();
}

std::string Metrics::render() const {
    std::lock_guard<std::mutex> l(mu_);
    std::ostringstream out;
    header(out, "vzlvs_backend_registered", "gauge",
           "1 when the backend is registered with the director at its weight (or held lower by "
           "the director's health checks), 0 otherwise.");
    for (const auto& b : backends_)
        out << "vzlvs_backend_registered{service=\"" << label(b.service) << "\",ct=\""
            << label(b.ct) << "\",backend=\"" << label(b.id) << "\"} " << b.registered << "\n";
    header(out, "vzlvs_backend_weight", "gauge",
           "The backend's weight in configured units when registered, 0 when not.");
    for (const auto& b : backends_)
        out << "vzlvs_backend_weight{service=\"" << label(b.service) << "\",ct=\"" << label(b.ct)
            << "\",backend=\"" << label(b.id) << "\"} " << b.weight << "\n";
    header(out, "vzlvs_backend_probe_ok", "gauge",
           "1 when the service answered through the tunnel as the director reaches it, 0 when "
           "not (present only when the run probed).");
    for (const auto& b : backends_)
        if (b.probe >= 0)
            out << "vzlvs_backend_probe_ok{service=\"" << label(b.service) << "\",ct=\""
                << label(b.ct) << "\",backend=\"" << label(b.id) << "\"} " << b.probe << "\n";
    header(out, "vzlvs_outcomes", "gauge", "The last run's steps by status.");
    for (const auto& [status, n] : outcomes_)
        out << "vzlvs_outcomes{status=\"" << status << "\"} " << n << "\n";
    header(out, "vzlvs_repairs_total", "counter",
           "What watch repaired since it started, by step (each a drift it put right).");
    for (const auto& [kind, n] : repairs_)
        out << "vzlvs_repairs_total{kind=\"" << label(kind) << "\"} " << n << "\n";
    header(out, "vzlvs_leak_window_seconds", "histogram",
           "How long a VIP route vzctl added on venet lived before watch deleted it, from the "
           "netlink event to the deletion.");
    const auto& b = leak_buckets();
    for (std::size_t i = 0; i < b.size(); ++i)
        out << "vzlvs_leak_window_seconds_bucket{le=\"" << number(b[i]) << "\"} " << leak_counts_[i]
            << "\n";
    out << "vzlvs_leak_window_seconds_bucket{le=\"+Inf\"} " << leak_total_ << "\n";
    out << "vzlvs_leak_window_seconds_sum " << number(leak_sum_) << "\n";
    out << "vzlvs_leak_window_seconds_count " << leak_total_ << "\n";
    header(out, "vzlvs_last_converge_timestamp_seconds", "gauge",
           "When a run last found (or made) everything as configured, Unix time; 0 never.");
    out << "vzlvs_last_converge_timestamp_seconds " << number(last_converge_) << "\n";
    header(out, "vzlvs_guard_backend", "gauge",
           "The ARP guard's backend in use (nft, or tc on kernels without netdev egress).");
    if (!guard_.empty()) out << "vzlvs_guard_backend{backend=\"" << label(guard_) << "\"} 1\n";
    return out.str();
}

void write_metrics_file(const std::filesystem::path& path, const std::string& text) {
    atomic_write(path, text, 0644);
}

std::string guard_backend_of(Seams& seams) {
    try {
        return to_string(seams.guard().backend());
    } catch (const std::exception&) {
        return "";  // no guard to be had: the run's own outcome says why
    }
}

void write_check_metrics(const Config& cfg, const Report& report, Seams& seams,
                         const std::filesystem::path& path) {
    Metrics m;
    m.record_run(cfg, report, false, std::chrono::system_clock::now());
    m.set_guard_backend(guard_backend_of(seams));
    write_metrics_file(path, m.render());
}

}  // namespace vzlvs
