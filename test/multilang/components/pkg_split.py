"""A splitter on gale_multilang (from this folder, not installed)."""
from gale_multilang import Bolt


class Split(Bolt):
    def process(self, tup):
        for word in tup.values[0].split():
            self.emit([word])


if __name__ == "__main__":
    Split().run()
