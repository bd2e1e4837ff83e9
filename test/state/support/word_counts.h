// test/state/support/word_counts.h
//
// What the state tests check word counts against: a generated corpus with
// its exact counts, and the counts a stateful word count committed to a
// real Redis or to RocksDB directories.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gale::testing {

using Counts = std::map<std::string, int64_t>;

// `lines` lines of three words over a small vocabulary; their exact word
// counts into `exact`.
std::string Corpus(int lines, Counts* exact);

// The counts in a file of "word count" lines (ReportBolt's report.file).
Counts CountsFile(const std::string& path);

// The committed counts of every task (1..16) of `component` under
// `ns`/<component>/index-<i>, summed: in the Redis on `port`, or in the
// RocksDB directories `dirs` (which no running process may hold: throws
// std::runtime_error when one is locked).
Counts CommittedInRedis(int port, const std::string& ns, const std::string& component);
Counts CommittedInRocksDb(const std::vector<std::string>& dirs, const std::string& ns,
                          const std::string& component);

int64_t Total(const Counts& c);

}  // namespace gale::testing
