#!/bin/sh
# Regenerates the oneDNN bindings in org.isthmus.ffi.onednn.bindings from oneDNN's own headers.
# The build never runs this: the generated sources are committed. Run it after changing the list
# below or the oneDNN version.
#
#   native/src/main/jextract/regenerate.sh <include-dir>
#
# <include-dir> holds oneapi/dnnl/dnnl.h, e.g. the include/ folder of the Maven artifact
# org.bytedeco:dnnl:<version>:linux-x86_64 (org/bytedeco/dnnl/linux-x86_64/include in the jar) or a
# oneDNN install's include/. jextract is $JEXTRACT, else the one on PATH.
# Generated with jextract built from openjdk/jextract@f9866df (libclang 16), headers of oneDNN 3.11.
set -eu

INCLUDE_DIR=${1:?usage: $0 <include-dir holding oneapi/dnnl/dnnl.h>}
JEXTRACT=${JEXTRACT:-jextract}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/../java"
PACKAGE=org.isthmus.ffi.onednn.bindings

rm -rf "$OUT/$(echo $PACKAGE | tr . /)"

# No --library: OneDnnLibrary loads libdnnl itself (System.load), so that a missing library is a
# clean "unavailable", and the generated lookup (the class loader's libraries) finds the symbols.
"$JEXTRACT" --output "$OUT" --target-package "$PACKAGE" --header-class-name dnnl_h \
  -I "$INCLUDE_DIR" \
  --include-function dnnl_version \
  --include-function dnnl_status2str \
  --include-function dnnl_sgemm \
  --include-function dnnl_engine_create \
  --include-function dnnl_engine_destroy \
  --include-function dnnl_stream_create \
  --include-function dnnl_stream_destroy \
  --include-function dnnl_memory_desc_create_with_tag \
  --include-function dnnl_memory_desc_destroy \
  --include-function dnnl_memory_desc_get_size \
  --include-function dnnl_memory_desc_equal \
  --include-function dnnl_memory_create \
  --include-function dnnl_memory_destroy \
  --include-function dnnl_primitive_desc_query \
  --include-function dnnl_primitive_desc_query_md \
  --include-function dnnl_primitive_desc_destroy \
  --include-function dnnl_primitive_create \
  --include-function dnnl_primitive_destroy \
  --include-function dnnl_primitive_execute \
  --include-function dnnl_reorder_primitive_desc_create \
  --include-function dnnl_convolution_forward_primitive_desc_create \
  --include-function dnnl_convolution_backward_data_primitive_desc_create \
  --include-function dnnl_convolution_backward_weights_primitive_desc_create \
  --include-function dnnl_softmax_forward_primitive_desc_create \
  --include-function dnnl_softmax_backward_primitive_desc_create \
  --include-function dnnl_layer_normalization_forward_primitive_desc_create \
  --include-function dnnl_layer_normalization_backward_primitive_desc_create \
  --include-struct dnnl_version_t \
  --include-struct dnnl_exec_arg_t \
  --include-constant dnnl_success \
  --include-constant dnnl_f32 \
  --include-constant dnnl_cpu \
  --include-constant dnnl_stream_default_flags \
  --include-constant dnnl_format_tag_any \
  --include-constant dnnl_a \
  --include-constant dnnl_ab \
  --include-constant dnnl_abcd \
  --include-constant dnnl_abcde \
  --include-constant dnnl_forward_training \
  --include-constant dnnl_forward_inference \
  --include-constant dnnl_backward \
  --include-constant dnnl_backward_data \
  --include-constant dnnl_backward_weights \
  --include-constant dnnl_convolution_direct \
  --include-constant dnnl_softmax_accurate \
  --include-constant dnnl_softmax_log \
  --include-constant dnnl_use_scale \
  --include-constant dnnl_use_shift \
  --include-constant dnnl_query_impl_info_str \
  --include-constant dnnl_query_src_md \
  --include-constant dnnl_query_diff_src_md \
  --include-constant dnnl_query_weights_md \
  --include-constant dnnl_query_diff_weights_md \
  --include-constant dnnl_query_dst_md \
  --include-constant dnnl_query_diff_dst_md \
  --include-constant DNNL_ARG_SRC_0 \
  --include-constant DNNL_ARG_DST_0 \
  --include-constant DNNL_ARG_WEIGHTS_0 \
  --include-constant DNNL_ARG_BIAS \
  --include-constant DNNL_ARG_MEAN \
  --include-constant DNNL_ARG_VARIANCE \
  --include-constant DNNL_ARG_SCALE \
  --include-constant DNNL_ARG_SHIFT \
  --include-constant DNNL_ARG_DIFF_SRC_0 \
  --include-constant DNNL_ARG_DIFF_DST_0 \
  --include-constant DNNL_ARG_DIFF_WEIGHTS_0 \
  --include-constant DNNL_ARG_DIFF_BIAS \
  --include-constant DNNL_ARG_DIFF_SCALE \
  --include-constant DNNL_ARG_DIFF_SHIFT \
  --include-typedef dnnl_dims_t \
  "$INCLUDE_DIR/oneapi/dnnl/dnnl.h" "$INCLUDE_DIR/oneapi/dnnl/dnnl_debug.h"
