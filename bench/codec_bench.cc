// gale-bench-codec: the tuple codec alone on W3's tuples (one short string
// value, in a tree or not): nanoseconds per tuple to encode a runtime Tuple
// (tuple::EncodeTuple, as a sending executor does), to decode a frame
// straight into Tuples (tuple::FrameReader, as a worker's receiver does)
// and through WireTuples (DecodeFrameInto, then the values moved into
// Tuples: the receive path before the FrameReader).
//
//   gale-bench-codec [--frames N] [--per-frame N] [--roots 0|1] [--rounds N]
#include "core/tuple/tuple_access.h"
#include "core/tuple/tuple_codec.h"

#include "bench_args.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using gale::bench::ArgSize;

double NanosSince(std::chrono::steady_clock::time_point start, size_t n) {
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  return took.count() / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  using gale::Tuple;
  using gale::internal::TupleAccess;
  namespace tuple = gale::tuple;
  const size_t frames = ArgSize(argc, argv, "--frames", 5000);
  const size_t per_frame = ArgSize(argc, argv, "--per-frame", 1000);
  const bool roots = ArgSize(argc, argv, "--roots", 1) != 0;
  const size_t rounds = ArgSize(argc, argv, "--rounds", 3);
  if (frames == 0 || per_frame == 0 || rounds == 0) {
    std::fprintf(stderr,
                 "usage: gale-bench-codec [--frames N >= 1] [--per-frame N >= 1] "
                 "[--roots 0|1] [--rounds N >= 1]\n");
    return 2;
  }
  const gale::StreamMeta meta{"spout", "default", gale::Fields{"value"}, false, 0};
  std::vector<Tuple> source;
  for (size_t i = 0; i < per_frame; ++i) {
    source.emplace_back(&meta, 4, gale::Values{gale::Value("some data")});
    if (roots)
      TupleAccess::mutable_roots(source.back()).XorInto(0x9e3779b97f4a7c15ULL * (i + 1), i);
  }
  std::string body;
  std::vector<Tuple> out;
  out.reserve(per_frame);
  std::vector<tuple::WireTuple> wire;
  for (size_t round = 0; round < rounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (size_t f = 0; f < frames; ++f) {
      body.clear();
      for (const Tuple& t : source) tuple::EncodeTuple(5, t, body);
    }
    const double encode = NanosSince(start, frames * per_frame);
    std::string frame;
    tuple::EncodeFrameHeader(per_frame, frame);
    frame += body;

    start = std::chrono::steady_clock::now();
    for (size_t f = 0; f < frames; ++f) {
      out.clear();
      tuple::FrameReader reader;
      tuple::FrameReader::Head head;
      bool ok = reader.Open(frame).ok();
      for (size_t i = 0; ok && i < reader.count(); ++i) {
        ok = reader.Next(head).ok();
        if (!ok) break;
        Tuple& t = out.emplace_back(&meta, head.source_task, gale::Values());
        ok = reader.ReadValues(head, TupleAccess::mutable_values(t)).ok();
        if (head.roots() == 0) continue;
        auto& r = TupleAccess::mutable_roots(t);
        tuple::FrameReader::ForEachRoot(head, [&](uint64_t a, uint64_t b) { r.XorInto(a, b); });
      }
      if (!ok || !reader.Finish().ok() || out.size() != per_frame) {
        std::fprintf(stderr, "the frame did not decode\n");
        return 1;
      }
    }
    const double read = NanosSince(start, frames * per_frame);

    start = std::chrono::steady_clock::now();
    for (size_t f = 0; f < frames; ++f) {
      out.clear();
      if (!tuple::DecodeFrameInto(frame, wire).ok()) {
        std::fprintf(stderr, "the frame did not decode\n");
        return 1;
      }
      for (tuple::WireTuple& w : wire) {
        Tuple& t = out.emplace_back(&meta, w.source_task, std::move(w.values));
        if (w.roots.empty()) continue;
        auto& r = TupleAccess::mutable_roots(t);
        for (const auto& [a, b] : w.roots) r.XorInto(a, b);
      }
    }
    const double via_wire = NanosSince(start, frames * per_frame);
    std::printf(
        "roots=%d bytes_per_tuple=%.1f encode_ns=%.1f decode_ns=%.1f "
        "decode_via_wire_tuples_ns=%.1f\n",
        roots ? 1 : 0, static_cast<double>(body.size()) / static_cast<double>(per_frame), encode,
        read, via_wire);
  }
  return 0;
}
