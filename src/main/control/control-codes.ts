/** Request and response codes the control plane answers that shared/codes.ts does not list. */
export const ControlRequestCode = {
  QUERY_CONSUME_TIME_SPAN: 303,
  GET_SYSTEM_TOPIC_LIST_FROM_BROKER: 305,
  GET_BROKER_CONSUME_STATS: 317,
} as const;

export const ControlResponseCode = {
  CONSUME_MSG_TIMEOUT: 207,
} as const;

/** MQVersion ordinals the broker checks client versions against. */
export const MQVersionOrdinal = {
  V3_0_7_SNAPSHOT: 28,
  V3_1_8_SNAPSHOT: 62,
} as const;

/** LanguageCode ordinal of C++ clients (they get the list form of ResetOffsetBody). */
export const LANGUAGE_CPP = 1;
