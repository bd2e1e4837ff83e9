// core/tuple/forwarding_collector.h
//
// An OutputCollector that hands everything on to another: the base of the
// runtime's wrappers around user code (core/window's windowed bolt runner,
// core/state's stateful bolt runner), which change only what they need.
// Emits go through with their anchors as they are (no copy); an emit with
// none gets DefaultAnchors().
#pragma once

#include <gale/output_collector.h>

#include <string_view>

namespace gale {

class ForwardingCollector : public OutputCollector {
 public:
  explicit ForwardingCollector(OutputCollector& out) : out_(out) {}

  void Ack(const Tuple& input) override { out_.Ack(input); }
  void Fail(const Tuple& input) override { out_.Fail(input); }
  void ResetTimeout(const Tuple& input) override { out_.ResetTimeout(input); }
  void ReportError(std::string_view message) override { out_.ReportError(message); }

 protected:
  // The anchors of an emit that names none: none.
  virtual AnchorSpan DefaultAnchors() const { return {}; }

  TaskIds EmitTo(std::string_view stream, AnchorSpan anchors, Values&& values) override {
    return EmitThrough(out_, stream, anchors.empty() ? DefaultAnchors() : anchors,
                       std::move(values));
  }
  void EmitDirectTo(int32_t task, std::string_view stream, AnchorSpan anchors,
                    Values&& values) override {
    EmitDirectThrough(out_, task, stream, anchors.empty() ? DefaultAnchors() : anchors,
                      std::move(values));
  }

  OutputCollector& out_;
};

}  // namespace gale
