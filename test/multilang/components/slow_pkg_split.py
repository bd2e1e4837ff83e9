"""A gale_multilang splitter whose process() takes `slow.secs` (conf) on its
first tuple: longer than the worker's timeout, while its reader thread
answers the heartbeats."""
import time

from gale_multilang import Bolt


class SlowSplit(Bolt):
    def initialize(self, conf, context):
        self.delay = float(conf.get("slow.secs", 0))

    def process(self, tup):
        if self.delay:
            time.sleep(self.delay)
            self.delay = 0
        for word in tup.values[0].split():
            self.emit([word])


if __name__ == "__main__":
    SlowSplit().run()
