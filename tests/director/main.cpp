// test-director: a gorb-compatible director for tests, the demo and the VM end-to-end run.
//   test-director --listen 127.0.0.1:0 [--tls-cert F --tls-key F] [--token T] [--state-file F]
//                 [--ipvsadm PATH] [--ipvsadm-dry-run]
// Prints "listening on HOST:PORT" once it accepts connections. Test hooks (never behind the
// token, never failed on purpose, never logged): POST /_control, GET|DELETE /_requests,
// POST /_pulse. See docs/director-api.md.
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "gorb_model.hpp"
#include "ipvsadm.hpp"

using nlohmann::json;
using testdirector::GorbModel;
using testdirector::Reply;

namespace {

struct Options {
    std::string listen = "127.0.0.1:0";
    std::string tls_cert, tls_key, token, state_file, ipvsadm;
    bool ipvsadm_dry_run = false;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "test-director: " << why << "\n"
              << "usage: test-director --listen HOST:PORT [--tls-cert F --tls-key F] [--token T]\n"
              << "                     [--state-file F] [--ipvsadm PATH] [--ipvsadm-dry-run]\n";
    std::exit(2);
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        if (a == "--listen")
            o.listen = value();
        else if (a == "--tls-cert")
            o.tls_cert = value();
        else if (a == "--tls-key")
            o.tls_key = value();
        else if (a == "--token")
            o.token = value();
        else if (a == "--state-file")
            o.state_file = value();
        else if (a == "--ipvsadm")
            o.ipvsadm = value();
        else if (a == "--ipvsadm-dry-run")
            o.ipvsadm_dry_run = true;
        else
            usage("unknown argument " + a);
    }
    if (o.tls_cert.empty() != o.tls_key.empty()) usage("--tls-cert and --tls-key go together");
    return o;
}

// What the next requests should suffer; count < 0 means until switched off.
struct Failure {
    std::string mode = "none";
    int count = -1;
    int delay_ms = 2000;
};

struct LoggedRequest {
    std::string method, path;
    bool authorization = false;  // whether the header was there; its value is never kept
    int remote_port = 0;
};

class Director {
  public:
    explicit Director(Options o) : opts_(std::move(o)) {
        if (!opts_.state_file.empty()) {
            std::ifstream in(opts_.state_file);
            try {
                if (in) model_.load(json::parse(in));
            } catch (const std::exception& e) {
                std::cerr << "test-director: state file " << opts_.state_file
                          << " is not a saved state: " << e.what() << "\n";
                std::exit(1);
            }
        }
        if (!opts_.ipvsadm.empty() || opts_.ipvsadm_dry_run) {
            const std::string exe = opts_.ipvsadm.empty() ? "ipvsadm" : opts_.ipvsadm;
            model_.on_change = [this, exe](const testdirector::IpvsChange& c) {
                const auto argv = testdirector::ipvsadm_argv(exe, c);
                if (opts_.ipvsadm_dry_run) {
                    std::printf("ipvsadm: %s\n", testdirector::join_argv(argv).c_str());
                    std::fflush(stdout);
                } else {
                    testdirector::run_argv(argv);
                }
            };
        }
    }

    void install(httplib::Server& srv) {
        // httplib writes headers and body separately: without NODELAY, Nagle and delayed ACKs
        // add 40 ms to every keep-alive response.
        srv.set_tcp_nodelay(true);
        srv.set_keep_alive_max_count(1000000);
        srv.set_keep_alive_timeout(60);
        srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            return pre_route(req, res);
        });
        const std::string svc = R"(/service/([^/]+))";
        const std::string rs = R"(/service/([^/]+)/([^/]+))";
        srv.Get("/service", [this](const auto&, auto& res) { send(res, model_.list_services()); });
        srv.Get(svc, [this](const auto& req, auto& res) {
            send(res, model_.get_service(req.matches[1]));
        });
        srv.Put(svc, [this](const auto& req, auto& res) {
            send(res, model_.put_service(req.matches[1], req.body), true);
        });
        srv.Delete(svc, [this](const auto& req, auto& res) {
            send(res, model_.delete_service(req.matches[1]), true);
        });
        srv.Get(rs, [this](const auto& req, auto& res) {
            send(res, model_.get_backend(req.matches[1], req.matches[2]));
        });
        srv.Put(rs, [this](const auto& req, auto& res) {
            send(res, model_.put_backend(req.matches[1], req.matches[2], req.body), true);
        });
        srv.Patch(rs, [this](const auto& req, auto& res) {
            send(res, model_.patch_backend(req.matches[1], req.matches[2], req.body), true);
        });
        srv.Delete(rs, [this](const auto& req, auto& res) {
            send(res, model_.delete_backend(req.matches[1], req.matches[2]), true);
        });
        srv.Post("/_control", [this](const auto& req, auto& res) { control(req, res); });
        srv.Get("/_requests", [this](const auto&, auto& res) { requests(res); });
        srv.Delete("/_requests", [this](const auto&, auto& res) {
            std::lock_guard<std::mutex> lock(mu_);
            log_.clear();
            res.status = 200;
        });
        srv.Post("/_pulse", [this](const auto& req, auto& res) {
            const json in = json::parse(req.body, nullptr, false);
            if (!in.is_object()) return send(res, {400, json{{"error", "invalid JSON body"}}});
            send(res, model_.pulse(in.value("backend", ""), in.value("status", 0),
                                   in.value("health", 1.0)));
        });
        srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
            if (res.body.empty())
                res.set_content(json{{"error", "no such route"}}.dump(), "application/json");
        });
    }

  private:
    httplib::Server::HandlerResponse pre_route(const httplib::Request& req,
                                               httplib::Response& res) {
        using HR = httplib::Server::HandlerResponse;
        if (req.path.rfind("/_", 0) == 0) return HR::Unhandled;
        Failure f;
        {
            std::lock_guard<std::mutex> lock(mu_);
            log_.push_back(
                {req.method, req.path, req.has_header("Authorization"), req.remote_port});
            if (failure_.mode != "none" && failure_.count != 0) {
                f = failure_;
                if (failure_.count > 0 && --failure_.count == 0) failure_.mode = "none";
            }
        }
        if (!opts_.token.empty() &&
            req.get_header_value("Authorization") != "Bearer " + opts_.token) {
            send(res, {401, json{{"error", "missing or invalid bearer token"}}});
            return HR::Handled;
        }
        if (f.mode == "none") return HR::Unhandled;
        if (f.mode == "slow") {
            std::this_thread::sleep_for(std::chrono::milliseconds(f.delay_ms));
            return HR::Unhandled;
        }
        if (f.mode == "malformed") {
            res.status = 200;
            res.set_content(R"({"options": {"host": "10.0.0.1", "port": 80,, ]]] not json)",
                            "application/json");
            return HR::Handled;
        }
        if (f.mode == "truncated") {
            // Promises 4096 bytes, sends a few, then the connection is dropped.
            res.status = 200;
            res.set_content_provider(4096, "application/json",
                                     [](size_t offset, size_t, httplib::DataSink& sink) {
                                         if (offset > 0) return false;
                                         const std::string part = R"({"options":{"host":")";
                                         sink.write(part.data(), part.size());
                                         return true;
                                     });
            return HR::Handled;
        }
        if (f.mode == "huge") {
            // Chunked, so the client cannot refuse it from a Content-Length: 16 MiB of body.
            res.status = 200;
            res.set_chunked_content_provider("application/json",
                                             [](size_t offset, httplib::DataSink& sink) {
                                                 static const std::string chunk(64 * 1024, 'x');
                                                 if (offset == 0) sink.write("{\"x\":\"", 6);
                                                 if (offset >= 16u << 20) {
                                                     sink.done();
                                                     return true;
                                                 }
                                                 return sink.write(chunk.data(), chunk.size());
                                             });
            return HR::Handled;
        }
        int code = 0;
        try {
            code = std::stoi(f.mode);
        } catch (const std::exception&) {
        }
        const std::string text = code >= 500 ? "error while calling into IPVS: injected failure"
                                             : "injected failure " + f.mode;
        send(res, {code >= 400 && code < 600 ? code : 500, json{{"error", text}}});
        return HR::Handled;
    }

    void send(httplib::Response& res, const Reply& r, bool mutation = false) {
        res.status = r.status;
        if (!r.body.is_null()) res.set_content(r.body.dump(), "application/json");
        if (mutation && r.status == 200) save();
    }

    void save() {
        if (opts_.state_file.empty()) return;
        const std::string tmp = opts_.state_file + ".tmp";
        {
            std::ofstream out(tmp, std::ios::trunc);
            out << model_.dump().dump(2) << "\n";
        }
        std::rename(tmp.c_str(), opts_.state_file.c_str());
    }

    void control(const httplib::Request& req, httplib::Response& res) {
        const json in = json::parse(req.body, nullptr, false);
        if (!in.is_object() || !in.contains("fail") || !in["fail"].is_string())
            return send(res, {400, json{{"error", "want {\"fail\": MODE, \"count\": N}"}}});
        Failure f;
        f.mode = in["fail"];
        f.count = in.value("count", -1);
        f.delay_ms = in.value("delay_ms", 2000);
        std::lock_guard<std::mutex> lock(mu_);
        failure_ = f;
        res.status = 200;
    }

    void requests(httplib::Response& res) {
        json out = json::array();
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& r : log_)
            out.push_back({{"method", r.method},
                           {"path", r.path},
                           {"authorization", r.authorization},
                           {"remote_port", r.remote_port}});
        res.set_content(out.dump(), "application/json");
    }

    Options opts_;
    GorbModel model_;
    std::mutex mu_;
    Failure failure_;
    std::vector<LoggedRequest> log_;
};

}  // namespace

int main(int argc, char** argv) {
    const Options opts = parse_args(argc, argv);
    const auto colon = opts.listen.rfind(':');
    if (colon == std::string::npos) usage("--listen wants HOST:PORT");
    std::string host = opts.listen.substr(0, colon);
    if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
    int port = 0;
    try {
        port = std::stoi(opts.listen.substr(colon + 1));
    } catch (const std::exception&) {
        usage("bad port in --listen " + opts.listen);
    }

    std::unique_ptr<httplib::Server> srv;
    if (!opts.tls_cert.empty())
        srv = std::make_unique<httplib::SSLServer>(opts.tls_cert.c_str(), opts.tls_key.c_str());
    else
        srv = std::make_unique<httplib::Server>();
    if (!srv->is_valid()) {
        std::cerr << "test-director: cannot load TLS certificate/key\n";
        return 1;
    }
    Director director(opts);
    director.install(*srv);

    if (port == 0) {
        port = srv->bind_to_any_port(host);
    } else if (!srv->bind_to_port(host, port)) {
        port = -1;
    }
    if (port <= 0) {
        std::cerr << "test-director: cannot listen on " << opts.listen << "\n";
        return 1;
    }
    std::printf("listening on %s:%d\n", host.c_str(), port);
    std::fflush(stdout);
    return srv->listen_after_bind() ? 0 : 1;
}
