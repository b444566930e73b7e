#include "vzlvs/ct/manager.hpp"

namespace vzlvs {

std::string ContainerManager::describe(const CtChange& change) const {
    std::vector<std::string> words = argv(change);
    if (!words.empty()) words[0] = std::filesystem::path(words[0]).filename().string();
    return describe_argv(words);
}

}  // namespace vzlvs
