#pragma once
/// @file Everything polyrouter offers, in one include.

#include "polyrouter/chat.hpp"
#include "polyrouter/config.hpp"
#include "polyrouter/errors.hpp"
#include "polyrouter/gemini_client.hpp"
#include "polyrouter/health_change.hpp"
#include "polyrouter/health_store.hpp"
#include "polyrouter/llm_client.hpp"
#include "polyrouter/logging.hpp"
#include "polyrouter/mask.hpp"
#include "polyrouter/observe.hpp"
#include "polyrouter/observer.hpp"
#include "polyrouter/openai_compatible_client.hpp"
#include "polyrouter/orchestrator.hpp"
#include "polyrouter/provider.hpp"
#include "polyrouter/response.hpp"
#include "polyrouter/version.hpp"
