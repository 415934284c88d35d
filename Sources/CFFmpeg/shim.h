#ifndef CFFMPEG_SHIM_H
#define CFFMPEG_SHIM_H
#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/dict.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>

/* Macros Swift cannot import. */
static inline int CFFmpeg_averror(int e) { return AVERROR(e); }
static const int CFFmpeg_AVERROR_EOF = AVERROR_EOF;
static const int CFFmpeg_AVERROR_EXIT = AVERROR_EXIT;
static const int CFFmpeg_AVERROR_DEMUXER_NOT_FOUND = AVERROR_DEMUXER_NOT_FOUND;
static const int CFFmpeg_AVERROR_DECODER_NOT_FOUND = AVERROR_DECODER_NOT_FOUND;
static const int CFFmpeg_AVERROR_ENCODER_NOT_FOUND = AVERROR_ENCODER_NOT_FOUND;
static const int CFFmpeg_AVERROR_INVALIDDATA = AVERROR_INVALIDDATA;
static const int64_t CFFmpeg_AV_NOPTS_VALUE = AV_NOPTS_VALUE;
static const int CFFmpeg_AV_TIME_BASE = AV_TIME_BASE;
static const int CFFmpeg_AV_ERROR_MAX_STRING_SIZE = AV_ERROR_MAX_STRING_SIZE;
#endif
