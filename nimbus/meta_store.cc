#include "nimbus/meta_store.h"

#include "core/common/files.h"

#include <filesystem>

namespace gale::nimbus {

namespace fs = std::filesystem;

Status DirMetaStore::Put(const std::string& key, const std::string& bytes) {
  const std::string path = PathOf(key);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status::Internal("cannot create the folder of '" + path + "': " + ec.message());
  return WriteFileAtomically(path, bytes);
}

Status DirMetaStore::Remove(const std::string& key) {
  std::error_code ec;
  fs::remove(PathOf(key), ec);
  if (ec) return Status::Internal("cannot remove '" + PathOf(key) + "': " + ec.message());
  return Status::Ok();
}

Result<std::optional<std::string>> DirMetaStore::Get(const std::string& key) {
  std::error_code ec;
  if (!fs::exists(PathOf(key), ec)) return std::optional<std::string>();
  GALE_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(PathOf(key)));
  return std::optional<std::string>(std::move(bytes));
}

Result<std::vector<std::string>> DirMetaStore::List(const std::string& folder) {
  const std::string dir = dir_ + "/" + folder;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create '" + dir + "': " + ec.message());
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".bin") out.push_back(entry.path().stem().string());
  }
  if (ec) return Status::Internal("cannot list '" + dir + "': " + ec.message());
  return out;
}

std::string DirMetaStore::SetAside(const std::string& key) {
  const std::string path = PathOf(key);
  std::error_code ec;
  fs::rename(path, path + ".corrupt", ec);
  return ec ? "could not move " + path + " aside: " + ec.message()
            : "moved aside to " + path + ".corrupt";
}

}  // namespace gale::nimbus
