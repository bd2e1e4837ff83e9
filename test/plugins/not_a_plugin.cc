// A perfectly good shared library that is not a Gale plugin.
extern "C" __attribute__((visibility("default"))) int some_function() { return 42; }
