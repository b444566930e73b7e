// The HTTP transport the director dialects speak through: one libcurl handle per client so
// that hundreds of calls share one keep-alive connection, bounded retries, TLS and a bearer
// token that never leaves the Authorization header.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

struct HttpSettings {
    std::string base_url;    // "https://director:4672" (a trailing '/' is ignored)
    std::string token_file;  // empty: no Authorization header
    std::string ca_file;     // empty: the system CA store
    std::string cert_file;   // TLS client certificate (PEM); empty: none
    std::string key_file;    // its private key (PEM); empty: in cert_file
    std::chrono::milliseconds timeout{5000};
    std::chrono::milliseconds connect_timeout{0};  // 0: same as timeout
    int retries = 3;                               // extra attempts after the first
    std::chrono::milliseconds backoff{100};        // first retry delay, doubled per retry
    std::chrono::milliseconds max_backoff{2000};
    std::size_t max_response = 1 << 20;  // larger bodies are rejected, not buffered
};

struct HttpResponse {
    long status = 0;
    std::string body;
    std::string content_type;
};

// A request that produced no usable HTTP response (connect, timeout, TLS, oversized or
// truncated body), after the allowed retries. status is 0; the token is never part of it.
class HttpError : public Error {
  public:
    HttpError(std::string method, std::string path, std::string detail, int attempts);
    const std::string& method() const { return method_; }
    const std::string& path() const { return path_; }
    const std::string& detail() const { return detail_; }
    int attempts() const { return attempts_; }

  private:
    std::string method_, path_, detail_;
    int attempts_;
};

class HttpClient {
  public:
    // Throws UsageError for a bad URL scheme or an unsafe/unreadable token file.
    explicit HttpClient(HttpSettings settings);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends METHOD base_url+path with an optional JSON body. Connection errors, timeouts and
    // 5xx are retried with jittered exponential backoff; any 4xx or 2xx returns at once. The
    // last response is returned whatever its status; only a missing response throws HttpError.
    HttpResponse request(const std::string& method, const std::string& path,
                         const std::string& json_body = {});

    // A streamed reply (etcd's watch): each chunk goes to on_data as it arrives, nothing is
    // buffered; on_data returns false to end the transfer. Ends after `duration` at most, or
    // when on_data says so (both return normally); a transfer that fails throws HttpError.
    // One attempt, on a connection of its own, so request() may be used from on_data.
    long stream(const std::string& path, const std::string& json_body,
                std::chrono::milliseconds duration,
                const std::function<bool(const char*, std::size_t)>& on_data);

    // Replaces the Authorization header's value (etcd's token: no "Bearer"); empty: none.
    // The value is never logged or reported.
    void set_authorization(const std::string& value);

    // Tests replace the backoff wait to observe it without sleeping.
    void set_sleeper(std::function<void(std::chrono::milliseconds)> sleeper);

    const HttpSettings& settings() const { return settings_; }

  private:
    struct Impl;
    HttpSettings settings_;
    std::unique_ptr<Impl> impl_;
};

// The token from a file that only its owner may read; throws UsageError naming the mode and
// the fix otherwise. Surrounding whitespace is dropped; the token itself is never reported.
std::string read_token_file(const std::string& path);
// The same for any secret; `what` names it in errors ("director password_file").
std::string read_secret_file(const std::string& what, const std::string& path);

// "http://user:pw@host:1/x" → "http://host:1/x": what may be shown in logs.
std::string redact_url(const std::string& url);

}  // namespace vzlvs
