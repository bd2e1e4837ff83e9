// A library that claims to be a Gale plugin of another ABI version.
extern "C" __attribute__((visibility("default"))) int gale_plugin_abi_version() { return 999; }
