// What the gorb dialect's tests share: a service and a backend, settings for a test director,
// the director's view of a backend, and a fixture holding both ends.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "director/gorb/gorb.hpp"
#include "support/director_server.hpp"

namespace vzlvs::gorb_test {

using nlohmann::json;
using test::DirectorServer;

inline ServiceSpec web() { return {"web", "127.0.0.100", 80, "tcp", "wrr"}; }

inline BackendSpec ct101() {
    BackendSpec b;
    b.service_id = "web";
    b.id = backend_id("node1", "101", "web");
    b.host = "127.0.0.2";
    b.port = 80;
    b.weight = 1;
    b.pulse = {"http", "5s", "/health", 200};
    return b;
}

inline HttpSettings settings_for(const DirectorServer& srv) {
    HttpSettings s;
    s.base_url = srv.url();
    s.timeout = std::chrono::seconds(5);
    s.retries = 3;
    s.backoff = std::chrono::milliseconds(1);  // keeps the retry tests quick
    return s;
}

// The backend as the director holds it.
inline json backend_on(DirectorServer& srv, const BackendSpec& b) {
    std::string body;
    const long status = srv.call("GET", "/service/" + b.service_id + "/" + b.id, {}, &body);
    return status == 200 ? json::parse(body) : json();
}

inline std::size_t count(const json& log, const std::string& method) {
    std::size_t n = 0;
    for (const auto& r : log) n += r["method"] == method;
    return n;
}

inline std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    ADD_FAILURE() << "no exception";
    return {};
}

class DirectorTest : public ::testing::Test {
  protected:
    DirectorServer srv;
    std::unique_ptr<Director> director = make_gorb_director(settings_for(srv));
};

}  // namespace vzlvs::gorb_test
