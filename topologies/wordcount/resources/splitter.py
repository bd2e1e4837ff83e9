"""The word count's splitter in Python: one word per emit, anchored to its
sentence, which is acked once split (gale_multilang's defaults)."""
from gale_multilang import Bolt


class Splitter(Bolt):
    def process(self, tup):
        for word in tup.values[0].split():
            self.emit([word])


if __name__ == "__main__":
    Splitter().run()
