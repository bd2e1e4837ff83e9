"""The word count's splitter in Python, as SplitSentence in wordcount.cc:
words are runs of ASCII letters, lower-cased; one emit per word, anchored
to its sentence, which is acked once split (gale_multilang's defaults)."""
import re

from gale_multilang import Bolt

WORD = re.compile(r"[A-Za-z]+")


class Splitter(Bolt):
    def process(self, tup):
        for word in WORD.findall(tup.values[0]):
            self.emit([word.lower()])


if __name__ == "__main__":
    Splitter().run()
