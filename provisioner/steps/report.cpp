#include "vzlvs/steps/report.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "vzlvs/base/strings.hpp"

namespace vzlvs {

const char* to_string(Status s) {
    switch (s) {
        case Status::ok:
            return "ok";
        case Status::changed:
            return "changed";
        case Status::planned:
            return "planned";
        case Status::pending:
            return "pending";
        case Status::skipped:
            return "skipped";
        case Status::failed:
            return "failed";
        case Status::warning:
            return "warning";
    }
    return "?";
}

void Report::add(Outcome o) {
    // Details quote what containers and directors said: nothing reaches the operator's
    // terminal (or the JSON consumer) as a control sequence.
    o.detail = printable(o.detail, std::string::npos, true);
    o.fix = printable(o.fix, std::string::npos, true);
    outcomes_.push_back(std::move(o));
    if (on_add_) on_add_(outcomes_.back());
}

int Report::count(Status s) const {
    return static_cast<int>(std::count_if(outcomes_.begin(), outcomes_.end(),
                                          [s](const Outcome& o) { return o.status == s; }));
}

std::string Report::table(bool color) const {
    auto paint = [color](Status s) -> std::string {
        std::string word = to_string(s);
        word.resize(7, ' ');
        if (!color) return word;
        const char* c = s == Status::failed    ? "\033[31m"
                        : s == Status::warning ? "\033[33m"
                        : s == Status::changed ? "\033[33m"
                        : s == Status::pending ? "\033[35m"
                        : s == Status::planned ? "\033[36m"
                        : s == Status::ok      ? "\033[32m"
                                               : "\033[2m";
        return c + word + "\033[0m";
    };
    size_t name_w = 4;
    for (const auto& o : outcomes_) name_w = std::max(name_w, o.name.size());

    std::ostringstream out;
    std::string scope;
    for (const auto& o : outcomes_) {
        if (o.scope != scope) {
            scope = o.scope;
            out << scope << "\n";
        }
        out << "  " << paint(o.status) << "  " << o.name
            << std::string(name_w - o.name.size(), ' ');
        if (!o.detail.empty()) out << "  " << o.detail;
        out << "\n";
        if (!o.fix.empty() && (o.status == Status::failed || o.status == Status::pending ||
                               o.status == Status::warning))
            out << "  " << std::string(7, ' ') << "  " << std::string(name_w, ' ')
                << "  fix: " << o.fix << "\n";
    }
    out << count(Status::ok) << " ok, " << count(Status::changed) << " changed, "
        << count(Status::planned) << " planned, " << count(Status::pending) << " pending, "
        << count(Status::skipped) << " skipped, " << count(Status::warning) << " warning, "
        << count(Status::failed) << " failed\n";
    return out.str();
}

nlohmann::json Report::json(const std::string& command) const {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& o : outcomes_) {
        items.push_back({{"scope", o.scope},
                         {"name", o.name},
                         {"status", to_string(o.status)},
                         {"detail", o.detail},
                         {"fix", o.fix}});
    }
    nlohmann::json summary = nlohmann::json::object();
    for (Status s : {Status::ok, Status::changed, Status::planned, Status::pending, Status::skipped,
                     Status::warning, Status::failed})
        summary[to_string(s)] = count(s);
    return {{"schema", "vzlvs.report/1"},
            {"command", command},
            {"outcomes", items},
            {"summary", summary},
            {"exit", static_cast<int>(exit_code())}};
}

}  // namespace vzlvs
