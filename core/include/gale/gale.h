// core/include/gale/gale.h: the whole plugin SDK in one include.
#pragma once

#include <gale/basic_bolt.h>
#include <gale/bolt.h>
#include <gale/config.h>
#include <gale/fields.h>
#include <gale/log.h>
#include <gale/metrics.h>
#include <gale/output_collector.h>
#include <gale/output_declarer.h>
#include <gale/plugin.h>
#include <gale/spout.h>
#include <gale/state.h>
#include <gale/stateful_bolt.h>
#include <gale/stateful_spout.h>
#include <gale/stateful_windowed_bolt.h>
#include <gale/topology_context.h>
#include <gale/tuple.h>
#include <gale/values.h>
#include <gale/window_reduce.h>
#include <gale/windowed_bolt.h>
