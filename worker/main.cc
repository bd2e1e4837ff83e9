// gale-worker: runs a topology's executors. `gale-worker local FILE.yaml`
// runs all of them in this process (what `gale local` does).
#include "worker/local_mode.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "local") == 0) {
    gale::worker::LocalOptions o;
    o.file = argv[2];
    for (int i = 3; i + 1 < argc; i += 2) {
      if (std::strcmp(argv[i], "--duration") == 0) o.duration_secs = std::atof(argv[i + 1]);
      if (std::strcmp(argv[i], "--filter") == 0) o.filter_file = argv[i + 1];
    }
    return gale::worker::RunLocal(o, std::cout, std::cerr);
  }
  std::cerr << "usage: gale-worker local FILE.yaml [--duration S] [--filter FILE]\n";
  return 2;
}
