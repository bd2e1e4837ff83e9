// nimbus/stored.h: nimbus's Thrift structs as bytes (binary protocol) and
// back, for what it keeps in its state directory. Included by nimbus's .cc
// files only (it brings in Thrift's protocol headers).
#pragma once

#include "core/common/result.h"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>

#include <memory>
#include <string>

namespace gale::nimbus {

template <typename T>
std::string Serialize(const T& t) {
  auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>();
  apache::thrift::protocol::TBinaryProtocol protocol(buffer);
  t.write(&protocol);
  return buffer->getBufferAsString();
}

template <typename T>
Result<T> Deserialize(const std::string& bytes) {
  try {
    auto buffer = std::make_shared<apache::thrift::transport::TMemoryBuffer>(
        reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())),
        static_cast<uint32_t>(bytes.size()));
    apache::thrift::protocol::TBinaryProtocol protocol(buffer);
    T t;
    t.read(&protocol);
    return t;
  } catch (const std::exception& e) { return Status::InvalidArgument(e.what()); }
}

}  // namespace gale::nimbus
