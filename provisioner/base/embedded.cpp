#include "vzlvs/base/embedded.hpp"

#include <set>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

std::string render_template(const std::string& name,
                            const std::map<std::string, std::string>& values) {
    const auto& files = embedded_files();
    auto it = files.find(name);
    if (it == files.end()) throw Error("internal: no embedded template " + name);
    const std::string& text = it->second;
    std::string out;
    std::set<std::string> used;
    size_t pos = 0;
    while (true) {
        size_t open = text.find("{{", pos);
        if (open == std::string::npos) break;
        size_t close = text.find("}}", open + 2);
        if (close == std::string::npos) break;
        std::string key = text.substr(open + 2, close - open - 2);
        auto v = values.find(key);
        if (v == values.end())
            throw Error("internal: template " + name + " needs a value for {{" + key + "}}");
        out.append(text, pos, open - pos);
        out += v->second;
        used.insert(key);
        pos = close + 2;
    }
    out.append(text, pos, std::string::npos);
    for (const auto& [key, _] : values)
        if (!used.count(key))
            throw Error("internal: template " + name + " has no {{" + key + "}} placeholder");
    return out;
}

}  // namespace vzlvs
