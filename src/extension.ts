/** Activation only wires things up; nothing here loads the model (that happens on first analysis). */
import * as vscode from 'vscode';
import { registerCommands } from './extension/commands';
import { Controller } from './extension/controller';

export function activate(context: vscode.ExtensionContext): Controller {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('MedNER', { log: true });
  const controller = new Controller(log, context.extensionPath);
  context.subscriptions.push(log, controller, ...registerCommands(controller));
  controller.activationMs = performance.now() - started;
  log.info(`activated in ${controller.activationMs.toFixed(1)} ms`);
  return controller;
}

export function deactivate(): void {}
