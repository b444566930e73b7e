#include "vzlvs/ct/detect.hpp"

#include <sstream>

#include "ct/vzctl.hpp"
#include "ct/vzctl7.hpp"
#include "vzlvs/base/error.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/base/probe_cache.hpp"
#include "vzlvs/base/strings.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {

const char* kCacheName = "openvz-release";

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return printable(line, 120);
}

// The cached answer: "4" or "7", then how it was found. Keyed by the vzctl binary's
// identity: an upgrade (vzctl 4 → 7 does not happen in place, but a reinstall might) drops it.
std::optional<DetectedRelease> cached(const fs::path& file, const std::string& key) {
    auto lines = read_probe_cache(file, key);
    if (!lines || lines->size() < 2 || ((*lines)[0] != "4" && (*lines)[0] != "7"))
        return std::nullopt;
    return DetectedRelease{(*lines)[0] == "7" ? OpenvzRelease::v7 : OpenvzRelease::v4,
                           (*lines)[1] + " (cached in " + file.string() + ")"};
}

}  // namespace

std::optional<OpenvzRelease> parse_vzctl_version(const std::string& output) {
    const std::string line = first_line(output);
    if (line.rfind("vzctl version 4.", 0) == 0) return OpenvzRelease::v4;
    if (line.rfind("vzctl v.7.", 0) == 0) return OpenvzRelease::v7;
    return std::nullopt;
}

std::optional<OpenvzRelease> parse_vzctl_status_word(const std::string& line) {
    if (line.rfind("CTID ", 0) == 0) return OpenvzRelease::v4;
    if (line.rfind("VEID ", 0) == 0) return OpenvzRelease::v7;
    return std::nullopt;
}

DetectedRelease detect_openvz(ProcessRunner& runner, const NodeConfig& node) {
    if (node.openvz == OpenvzRelease::v4) return {OpenvzRelease::v4, "set: openvz = 4 in [node]"};
    if (node.openvz == OpenvzRelease::v7) return {OpenvzRelease::v7, "set: openvz = 7 in [node]"};
    const std::string key = binary_identity(node.vzctl);
    const fs::path cache = node.state_dir / kCacheName;
    if (!key.empty())
        if (auto hit = cached(cache, key)) return *hit;
    RunOptions opts;
    opts.timeout = std::chrono::seconds(30);
    opts.max_output = 4096;
    RunResult r;
    try {
        r = runner.run({node.vzctl.string(), "--version"}, opts);
    } catch (const ProgramNotFound& e) {
        throw ProgramNotFound(std::string(e.what()) +
                              "; vzlvs drives OpenVZ through vzctl: install vzctl or set its "
                              "path with `vzctl =` in the [node] section");
    }
    auto release = parse_vzctl_version(r.out);
    std::string how = "detected: `vzctl --version` printed \"" + first_line(r.out) + "\"";
    if (!release) {
        // A vzctl (or an emulation of one) that words its version otherwise: the status line
        // tells the two apart too, and `status` takes no lock and exits 0 for any valid ID.
        const std::string version_said = first_line(r.out.empty() ? r.err : r.out);
        RunResult st = runner.run({node.vzctl.string(), "status", "2147483647"}, opts);
        const std::string line = first_line(st.out);
        release = parse_vzctl_status_word(line);
        if (!release)
            throw Error("cannot tell which OpenVZ this node runs: `" + node.vzctl.string() +
                        " --version` printed \"" + version_said +
                        "\", neither vzctl 4 (\"vzctl version 4.x\") nor vzctl 7 (\"vzctl "
                        "v.7.x\"), and `vzctl status` printed \"" +
                        line +
                        "\" (neither `CTID ...` nor `VEID ...`); set openvz = 4 or openvz = 7 "
                        "in [node]");
        how = "detected: `vzctl status` printed \"" + line + "\"";
    }
    write_probe_cache(cache, key, {*release == OpenvzRelease::v7 ? "7" : "4", how});
    return {*release, how};
}

std::unique_ptr<ContainerManager> make_container_manager(ProcessRunner& runner,
                                                         const NodeConfig& node) {
    DetectedRelease d;
    try {
        d = detect_openvz(runner, node);
    } catch (const ProgramNotFound& e) {
        // No vzctl to ask: every call will fail with this same, clear error, step by step.
        d = {OpenvzRelease::v4, std::string("not detected (") + e.what() + ")"};
    }
    VzctlSetup setup;
    setup.path = node.vzctl.string();
    setup.conf_dir = node.vz_conf_dir;
    setup.runtime_root = node.runtime_root;
    setup.origin = d.how;
    if (d.release == OpenvzRelease::v7) return std::make_unique<Vzctl7>(runner, std::move(setup));
    return std::make_unique<Vzctl>(runner, std::move(setup));
}

}  // namespace vzlvs
