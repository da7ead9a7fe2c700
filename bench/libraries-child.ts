// What Node loads before a line of the action runs: the names the action
// imports from the libraries it is built on, bundled as the action is, used
// for nothing. Its start-up against the action's tells the libraries' share.
export {
  debug,
  error,
  ExitCode,
  getBooleanInput,
  getIDToken,
  getInput,
  group,
  info,
  isDebug,
  notice,
  setOutput,
  setSecret,
  summary,
  warning,
} from '@actions/core';
export { context, getOctokit } from '@actions/github';
export { cacheFile, find } from '@actions/tool-cache';
export { coerce, compareBuild, gte, parse } from 'semver';
export { Agent, Headers, ProxyAgent, request, Response } from 'undici';
