#include "director/http/http_client.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

namespace vzlvs {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// curl_global_init is not thread-safe on every libcurl build; once per process is enough.
void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// These leave no doubt that the request never produced a usable answer and trying again may
// help. TLS and oversize failures are not here: another attempt would fail the same way.
bool retryable(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
            return true;
        default:
            return false;
    }
}

struct Sink {
    std::string body;
    std::size_t cap = 0;
    bool overflow = false;
};

size_t write_cb(char* data, size_t size, size_t n, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const size_t len = size * n;
    if (sink->body.size() + len > sink->cap) {
        sink->overflow = true;
        return 0;  // aborts the transfer: a huge reply is never buffered
    }
    sink->body.append(data, len);
    return len;
}

}  // namespace

HttpError::HttpError(std::string method, std::string path, std::string detail, int attempts)
    : Error(method + " " + path + ": " + detail +
            (attempts > 1 ? " (after " + std::to_string(attempts) + " attempts)" : "")),
      method_(std::move(method)),
      path_(std::move(path)),
      detail_(std::move(detail)),
      attempts_(attempts) {}

std::string read_secret_file(const std::string& what, const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw UsageError(what + " " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw UsageError(what + " " + path + ": not a regular file");
    if (st.st_uid != ::geteuid())
        throw UsageError(what + " " + path + " is owned by uid " + std::to_string(st.st_uid) +
                         ": the secret must belong to the user vzlvs " +
                         "runs as (`chown root: " + path + "`)");
    if (st.st_mode & 077)
        throw UsageError(what + " " + path + " has mode " + octal_mode(st.st_mode) +
                         ", readable by group or others; it is a secret: run `chmod 600 " + path +
                         "`");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(what + " " + path + ": cannot be read");
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string token = trim(ss.str());
    if (token.empty()) throw UsageError(what + " " + path + " is empty");
    // A line break inside would let the file inject extra HTTP headers.
    if (std::any_of(token.begin(), token.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
        throw UsageError(what + " " + path +
                         " holds control characters; it must hold the secret on one line");
    return token;
}

std::string read_token_file(const std::string& path) {
    return read_secret_file("director token_file", path);
}

std::string redact_url(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    const auto host_start = scheme + 3;
    const auto path_start = url.find('/', host_start);
    const auto at = url.rfind('@', path_start == std::string::npos ? url.size() : path_start);
    if (at == std::string::npos || at < host_start) return url;
    return url.substr(0, host_start) + url.substr(at + 1);
}

struct HttpClient::Impl {
    CURL* curl = nullptr;
    curl_slist* headers = nullptr;
    std::function<void(std::chrono::milliseconds)> sleeper;
    std::mt19937 rng{std::random_device{}()};
    char errbuf[CURL_ERROR_SIZE] = {};

    // The options every handle of this client shares (request's and each stream's).
    void configure(CURL* c, const HttpSettings& settings);

    ~Impl() {
        if (headers) curl_slist_free_all(headers);
        if (curl) curl_easy_cleanup(curl);
    }
};

HttpClient::HttpClient(HttpSettings settings)
    : settings_(std::move(settings)), impl_(std::make_unique<Impl>()) {
    while (!settings_.base_url.empty() && settings_.base_url.back() == '/')
        settings_.base_url.pop_back();
    const auto& url = settings_.base_url;
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
        throw UsageError("director url " + redact_url(url) +
                         ": must start with https:// (or http:// for an unencrypted director)");
    std::string token;
    if (!settings_.token_file.empty()) {
        token = read_token_file(settings_.token_file);
        if (url.rfind("http://", 0) == 0)
            spdlog::warn("director token is sent over plain http to {}", redact_url(url));
    }

    if (!settings_.ca_file.empty()) {
        struct stat st {};
        const char* ca = settings_.ca_file.c_str();
        const std::string why = ::stat(ca, &st) != 0      ? std::strerror(errno)
                                : !S_ISREG(st.st_mode)    ? "not a regular file"
                                : ::access(ca, R_OK) != 0 ? std::strerror(errno)
                                                          : "";
        if (!why.empty()) throw UsageError("director ca_file " + settings_.ca_file + ": " + why);
    }
    if (!settings_.key_file.empty() && settings_.cert_file.empty())
        throw UsageError("director key_file is set without cert_file");

    global_init();
    impl_->curl = curl_easy_init();
    if (!impl_->curl) throw Error("libcurl: curl_easy_init failed");
    impl_->sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };

    set_authorization(token.empty() ? std::string() : "Bearer " + token);
    std::fill(token.begin(), token.end(), '\0');
    impl_->configure(impl_->curl, settings_);
}

void HttpClient::Impl::configure(CURL* c, const HttpSettings& settings) {
    const auto connect =
        settings.connect_timeout.count() > 0 ? settings.connect_timeout : settings.timeout;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!settings.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings.ca_file.c_str());
    if (!settings.cert_file.empty())
        curl_easy_setopt(c, CURLOPT_SSLCERT, settings.cert_file.c_str());
    if (!settings.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, settings.key_file.c_str());
    // Proxies configured in the environment stay honoured for a remote director, but a
    // loopback director must never be sent through one.
    curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.0/8,::1");
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(settings.max_response));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
}

void HttpClient::set_authorization(const std::string& value) {
    if (impl_->headers) curl_slist_free_all(impl_->headers);
    impl_->headers = nullptr;
    impl_->headers = curl_slist_append(impl_->headers, "Content-Type: application/json");
    impl_->headers = curl_slist_append(impl_->headers, "Accept: application/json");
    // curl adds "Expect: 100-continue" to larger bodies, a round-trip no director needs.
    impl_->headers = curl_slist_append(impl_->headers, "Expect:");
    if (!value.empty()) {
        std::string h = "Authorization: " + value;
        impl_->headers = curl_slist_append(impl_->headers, h.c_str());
        std::fill(h.begin(), h.end(), '\0');
    }
    if (impl_->curl) curl_easy_setopt(impl_->curl, CURLOPT_HTTPHEADER, impl_->headers);
}

namespace {

struct StreamSink {
    const std::function<bool(const char*, std::size_t)>* on_data;
    bool stopped = false;
};

size_t stream_cb(char* data, size_t size, size_t n, void* user) {
    auto* sink = static_cast<StreamSink*>(user);
    const size_t len = size * n;
    if (!(*sink->on_data)(data, len)) {
        sink->stopped = true;
        return 0;
    }
    return len;
}

}  // namespace

long HttpClient::stream(const std::string& path, const std::string& json_body,
                        std::chrono::milliseconds duration,
                        const std::function<bool(const char*, std::size_t)>& on_data) {
    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    if (!c) throw Error("libcurl: curl_easy_init failed");
    impl_->configure(c.get(), settings_);
    char errbuf[CURL_ERROR_SIZE] = {};
    StreamSink sink{&on_data};
    const std::string url = settings_.base_url + path;
    curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(json_body.size()));
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, json_body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(duration.count()));
    curl_easy_setopt(c.get(), CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(0));
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, stream_cb);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
    const CURLcode rc = curl_easy_perform(c.get());
    long status = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && sink.stopped) ||
        (rc == CURLE_OPERATION_TIMEDOUT && status != 0))
        return status;
    std::string why = curl_easy_strerror(rc);
    if (errbuf[0] != '\0') why += std::string(": ") + errbuf;
    throw HttpError("POST", path, why, 1);
}

HttpClient::~HttpClient() = default;

void HttpClient::set_sleeper(std::function<void(std::chrono::milliseconds)> sleeper) {
    impl_->sleeper = std::move(sleeper);
}

HttpResponse HttpClient::request(const std::string& method, const std::string& path,
                                 const std::string& json_body) {
    CURL* c = impl_->curl;
    const std::string url = settings_.base_url + path;
    const int attempts = 1 + std::max(0, settings_.retries);
    auto delay = settings_.backoff;
    std::string last_error;

    for (int attempt = 1; attempt <= attempts; ++attempt) {
        if (attempt > 1) {
            // Full jitter in [delay/2, delay]: many nodes restarted together spread out.
            const auto half = delay.count() / 2;
            std::uniform_int_distribution<long long> dist(half,
                                                          std::max<long long>(half, delay.count()));
            const std::chrono::milliseconds wait(dist(impl_->rng));
            spdlog::debug("director: retry {}/{} of {} {} in {} ms ({})", attempt - 1, attempts - 1,
                          method, path, wait.count(), last_error);
            impl_->sleeper(wait);
            delay = std::min(delay * 2, settings_.max_backoff);
        }

        Sink sink;
        sink.cap = settings_.max_response;
        impl_->errbuf[0] = '\0';
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);  // resets the previous call's method and body
        if (!json_body.empty() || method == "PUT" || method == "PATCH" || method == "POST") {
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(json_body.size()));
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body.c_str());
        }
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method == "GET" ? nullptr : method.c_str());
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);

        const CURLcode rc = curl_easy_perform(c);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, nullptr);
        if (rc == CURLE_OK) {
            HttpResponse resp;
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
            char* ct = nullptr;
            curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
            if (ct) resp.content_type = ct;
            resp.body = std::move(sink.body);
            if (resp.status >= 500 && attempt < attempts) {
                last_error = "HTTP " + std::to_string(resp.status);
                continue;
            }
            return resp;
        }

        if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED)
            throw HttpError(method, path,
                            "response larger than " + std::to_string(settings_.max_response) +
                                " bytes rejected",
                            attempt);
        last_error = curl_easy_strerror(rc);
        if (impl_->errbuf[0] != '\0') last_error += std::string(": ") + impl_->errbuf;
        if (rc == CURLE_OPERATION_TIMEDOUT)
            last_error += " (timeout " + std::to_string(settings_.timeout.count()) + " ms)";
        if (rc == CURLE_PARTIAL_FILE) last_error = "truncated response: " + last_error;
        if (!retryable(rc)) throw HttpError(method, path, last_error, attempt);
    }
    throw HttpError(method, path, last_error, attempts);
}

}  // namespace vzlvs
