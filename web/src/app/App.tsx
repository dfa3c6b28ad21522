// The app shell: providers, header and the routes of each feature.

import { BrowserRouter, Navigate, Route, Routes } from 'react-router'
import { ChatPage } from '../features/chat/ChatPage'
import { ComparePage } from '../features/compare/ComparePage'
import { ConstitutionsPage } from '../features/constitutions/ConstitutionsPage'
import { FlowConfigsPage } from '../features/flowConfigs/FlowConfigsPage'
import { FlowTemplatesPage } from '../features/flowTemplates/FlowTemplatesPage'
import { SyspromptsPage } from '../features/sysprompts/SyspromptsPage'
import { Header } from './Header'
import { Providers } from './Providers'

export function App() {
  return (
    <Providers>
      <BrowserRouter>
        <div className="app">
          <Header />
          <main className="app-main">
            <Routes>
              <Route path="/" element={<Navigate to="/chat" replace />} />
              <Route path="/chat/:instanceId?" element={<ChatPage />} />
              <Route path="/compare/:comparisonId?" element={<ComparePage />} />
              <Route path="/constitutions/:id?" element={<ConstitutionsPage />} />
              <Route path="/sysprompts/:id?" element={<SyspromptsPage />} />
              <Route path="/flow-configs/:id?" element={<FlowConfigsPage />} />
              <Route path="/flow-templates/:id?" element={<FlowTemplatesPage />} />
              <Route path="*" element={<Navigate to="/chat" replace />} />
            </Routes>
          </main>
        </div>
      </BrowserRouter>
    </Providers>
  )
}
